// Cluster redirects, with two (or three) fake nodes on one fake network: a join answered with
// a Redirect moves to the room's node with the ticket; a failed redirect keeps the old
// connection; a Reconnect answered with Redirect{reconnect} goes on at the session's node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RookeryClient, redirectUrl } from '../src/index.js';
import { FakeNetwork, waitFor, delay } from './fake.js';

const A_URL = 'ws://node-a.test:12123/';
const B_URL = 'ws://node-b.test:12123/';
const FAST = { reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 40, reconnectJitter: 0, seatRestoreTimeoutMs: 100 };
const TICKET = 'ticket-0123456789abcdef';

/** Node a (where the client logs in) and node b (where the room is); a redirects joins to b. */
async function twoNodes(opts = {}) {
  const net = new FakeNetwork();
  const a = net.add(A_URL);
  const b = net.add(B_URL);
  a.token = 'tok-a';
  b.token = 'tok-b';
  b.room = { ...b.room, room_id: (2 << 20) + 7, name: 'far board' };
  a.redirectJoins = { node: 'node-b', host: 'node-b.test', tcp_port: 12122, ws_port: 12123, ticket: TICKET, room_id: b.room.room_id, ttl_ms: 5000 };
  b.tickets.add(TICKET);
  // As a cluster does: the login at b evicts the session at a.
  b.onTicketLogin = () => setTimeout(() => a.evict(), 5);
  const client = new RookeryClient({ WebSocket: net.WebSocket, ...FAST, ...opts });
  const seen = { errors: [], disconnects: [], redirects: [], joined: [] };
  client.on('error', (e) => seen.errors.push(e.code));
  client.on('disconnect', (d) => seen.disconnects.push(d));
  client.on('redirect', (r) => seen.redirects.push(r));
  client.on('joined', (j, info) => seen.joined.push(info));
  await client.connect(A_URL);
  await client.loginGuest('device-0001', 'Ada');
  return { net, a, b, client, seen };
}

test('a redirected join moves to the room node with the ticket and resolves with its Joined', async () => {
  const { a, b, client, seen } = await twoNodes();
  const joined = await client.joinOrCreate('spelltraction');
  assert.equal(joined.room.room_id, b.room.room_id);
  assert.equal(joined.room.name, 'far board');
  assert.equal(client.room.roomId, b.room.room_id);
  assert.equal(client.game.board, 'ABCDEFGHIJKL', 'the game state comes from the new node');
  // Node b is home now; the URL given to connect() is remembered.
  assert.equal(client.url, B_URL);
  assert.equal(client.entryUrl, A_URL);
  assert.equal(client.session.session_token, 'tok-b');
  assert.deepEqual(seen.redirects, [{ node: 'node-b', host: 'node-b.test', roomId: b.room.room_id, url: B_URL, reconnect: false }]);
  assert.deepEqual(seen.joined, [{ restored: false, redirected: true }]);
  // At b: Hello, then Login with the ticket (no guest login, no Reconnect).
  assert.deepEqual(b.sockets[0].sent.map((e) => e.msg), ['hello', 'login']);
  assert.equal(b.sockets[0].sent[1].login.ticket, TICKET);
  // The client left a itself, before a's eviction arrived; the eviction is not a kick.
  assert.deepEqual(a.sockets[0].closedByClient, { code: 1000, reason: 'redirected' });
  await delay(30);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.disconnects, []);
  assert.equal(a.sockets.length, 1, 'no reconnect to the old node');
  assert.equal(client.status, 'open');
  assert.ok(client.move(10, 10) > 0);
  assert.equal(b.sockets[0].sent.at(-1).msg, 'input', 'inputs go to the new node');
  client.close();
});

test('an eviction that overtakes the new node\'s LoginOk is not taken for a kick', async () => {
  const { a, b, client, seen } = await twoNodes();
  b.loginOkDelayMs = 30;
  b.onTicketLogin = () => a.evict(); // KICKED and a closed socket at once, LoginOk 30 ms later
  const joined = await client.joinRoom(b.room.room_id);
  assert.equal(joined.room.room_id, b.room.room_id);
  assert.equal(client.url, B_URL);
  await delay(40);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.disconnects, []);
  assert.equal(a.sockets.length, 1, 'no reconnect to the old node');
  assert.equal(client.status, 'open');
  // A later drop reconnects to the new node: its session there is resumed.
  const back = waitFor(client, 'reconnect');
  b.last.drop();
  const [info] = await back;
  assert.equal(info.url, B_URL);
  assert.equal(info.seatRestored, true);
  assert.equal(a.sockets.length, 1);
  assert.equal(b.last.sent[1].reconnect.session_token, 'tok-b');
  client.close();
});

test('a refused ticket keeps the client on the old connection, logged in, in the lobby', async () => {
  const { a, b, client, seen } = await twoNodes();
  b.tickets.clear();
  await assert.rejects(client.createRoom('spelltraction', { name: 'x' }), (err) => err.code === 'TICKET_INVALID');
  assert.equal(client.url, A_URL);
  assert.equal(client.session.session_token, 'tok-a');
  assert.equal(client.room, null);
  assert.equal(client.connected, true);
  assert.equal(a.sockets[0].readyState, 1, 'the old connection is still open');
  assert.equal(b.sockets[0].readyState, 3, 'the new one is closed');
  // The old connection still works.
  a.redirectJoins = null;
  const rooms = await client.listRooms();
  assert.equal(rooms.length, 1);
  assert.equal(a.sockets[0].sent.at(-1).msg, 'list_rooms');
  assert.deepEqual(seen.errors, [], 'the rejected join is the report, not an error event');
  assert.deepEqual(seen.disconnects, []);
  client.close();
});

test('an unreachable room node: CONNECT_FAILED, and the client stays where it was', async () => {
  const { net, client, seen } = await twoNodes();
  net.servers.delete('node-b.test:12123');
  await assert.rejects(client.joinOrCreate('spelltraction'), (err) => err.code === 'CONNECT_FAILED');
  assert.equal(client.url, A_URL);
  assert.equal(client.connected, true);
  assert.equal(await client.ping() >= 0, true);
  assert.deepEqual(seen.disconnects, []);
  client.close();
});

test('logged in at the new node but the seat is refused: the error, and home is the new node', async () => {
  const { a, b, client } = await twoNodes();
  b.ticketAnswer = 'ROOM_FULL';
  await assert.rejects(client.joinOrCreate('spelltraction'), (err) => err.code === 'ROOM_FULL');
  assert.equal(client.url, B_URL);
  assert.equal(client.session.session_token, 'tok-b');
  assert.equal(client.room, null);
  assert.equal(client.connected, true);
  await delay(20);
  assert.equal(a.sockets[0].readyState, 3);
  client.close();
});

test('the old connection drops while a redirect fails: a normal disconnect and reconnect', async () => {
  const { a, b, client, seen } = await twoNodes({ reconnectInitialDelayMs: 5 });
  b.tickets.clear();
  b.silent.add('login');
  b.handlers.login = (ws, env) => {
    a.last.drop(); // the old node's connection dies meanwhile
    setTimeout(() => ws.deliver({ request_id: env.request_id, error: { code: 29, message: 'ticket expired' } }), 10);
    return true;
  };
  const back = waitFor(client, 'reconnect');
  await assert.rejects(client.joinOrCreate('spelltraction'), (err) => err.code === 'TICKET_INVALID');
  const [info] = await back;
  assert.equal(seen.disconnects.length, 1);
  assert.equal(seen.disconnects[0].willReconnect, true);
  assert.equal(info.url, A_URL);
  assert.equal(info.resumed, true);
  assert.equal(a.sockets.length, 2);
  assert.equal(a.sockets[1].sent[1].reconnect.session_token, 'tok-a');
  client.close();
});

test('followRedirects: false rejects with REDIRECTED; followRedirect() then does it', async () => {
  const { b, client } = await twoNodes({ followRedirects: false });
  let err;
  await client.joinOrCreate('spelltraction').catch((e) => { err = e; });
  assert.equal(err.code, 'REDIRECTED');
  assert.equal(err.redirect.ticket, TICKET);
  assert.equal(err.redirect.room_id, b.room.room_id);
  assert.equal(b.sockets.length, 0, 'nothing done yet');
  const joined = await client.followRedirect(err.redirect);
  assert.equal(joined.room.room_id, b.room.room_id);
  assert.equal(client.url, B_URL);
  await assert.rejects(client.followRedirect({ ...err.redirect, ticket: '' }), (e) => e.code === 'INVALID_ARGUMENT');
  client.close();
});

test('close() during a redirect ends both connections', async () => {
  const { a, b, client } = await twoNodes();
  b.silent.add('login');
  const join = client.joinOrCreate('spelltraction');
  await delay(15);
  assert.equal(b.sockets.length, 1);
  client.close();
  await assert.rejects(join, (err) => err.code === 'CLOSED');
  assert.equal(a.sockets[0].readyState, 3);
  assert.equal(b.sockets[0].readyState, 3);
  assert.equal(client.status, 'closed');
});

test('a Reconnect at a node that does not hold the session is sent on to the node that does', async () => {
  // The player came in through a (a load balancer's pick) and plays at b; b's connection
  // drops, and the client comes back through a, which redirects it.
  const { a, b, client, seen } = await twoNodes();
  await client.joinOrCreate('spelltraction');
  client.url = A_URL; // as if home were still the entry point
  a.tokenValid = false;
  a.reconnectRedirect = { node: 'node-b', host: 'node-b.test', tcp_port: 12122, ws_port: 12123 };
  const back = waitFor(client, 'reconnect');
  b.last.drop();
  const [info] = await back;
  assert.equal(info.resumed, true);
  assert.equal(info.seatRestored, true);
  assert.equal(info.url, B_URL);
  assert.equal(client.url, B_URL, 'home is the session\'s node for the rest of the session');
  assert.deepEqual(seen.redirects.at(-1), { node: 'node-b', host: 'node-b.test', roomId: 0, url: B_URL, reconnect: true });
  assert.deepEqual(a.last.sent.map((e) => e.msg), ['hello', 'reconnect']);
  assert.deepEqual(b.last.sent.map((e) => e.msg), ['hello', 'reconnect']);
  assert.equal(b.last.sent[1].reconnect.session_token, 'tok-b', 'the same Reconnect at the session\'s node');
  assert.equal(a.last.readyState, 3, 'the redirecting connection is closed');
  assert.deepEqual(seen.errors, []);
  assert.equal(client.room.roomId, b.room.room_id);
  client.close();
});

test('nodes that keep redirecting each other: the attempt fails with CLUSTER_UNAVAILABLE', async () => {
  const { a, b, client } = await twoNodes({ reconnectMaxAttempts: 1 });
  await client.joinOrCreate('spelltraction');
  for (const [node, other] of [[a, 'node-b.test'], [b, 'node-a.test']]) {
    node.tokenValid = false;
    node.reconnectRedirect = { node: other, host: other, tcp_port: 1, ws_port: 12123 };
  }
  const failed = waitFor(client, 'reconnectFailed');
  b.last.drop();
  const [[err]] = await Promise.all([failed]);
  assert.equal(err.code, 'CLUSTER_UNAVAILABLE');
  // b, then a, then b again: two redirects followed, the third refused.
  assert.equal(b.sockets.length + a.sockets.length, 1 + 1 + 3);
  client.close();
});

test('the redirected node dies: after a few failed attempts the entry point is asked again', async () => {
  const { a, b, client } = await twoNodes({ reconnectFallbackAfter: 3 });
  await client.joinOrCreate('spelltraction');
  a.tokenValid = false; // a knows nothing of the session that lived at b
  const urls = [];
  client.on('reconnecting', (r) => urls.push(r.url));
  const left = waitFor(client, 'left');
  const back = waitFor(client, 'reconnect', { timeoutMs: 3000 });
  b.kill();
  const [[info], [l]] = await Promise.all([back, left]);
  assert.deepEqual(urls, [B_URL, B_URL, B_URL, A_URL]);
  assert.equal(b.sockets.length, 1 + 3);
  // At a: the token is unknown, so a fresh login with the same guest credentials.
  assert.deepEqual(a.last.sent.map((e) => e.msg), ['hello', 'reconnect', 'login']);
  assert.equal(a.last.sent[2].login.guest.device_id, 'device-0001');
  assert.equal(info.resumed, false);
  assert.equal(info.seatRestored, false);
  assert.equal(info.url, A_URL);
  assert.equal(info.previousUrl, B_URL);
  assert.equal(info.previousRoom.roomId, b.room.room_id);
  assert.equal(l.reason, 'reconnect_expired');
  assert.equal(client.url, A_URL);
  assert.equal(client.session.session_token, 'tok-a');
  client.close();
});

test('redirectUrl: the node\'s host and WebSocket port, wss kept', () => {
  const r = { host: '10.213.0.12', ws_port: 4100 };
  assert.equal(redirectUrl('ws://10.213.0.11:4000/', r), 'ws://10.213.0.12:4100/');
  assert.equal(redirectUrl('wss://play.example/', { host: 'b.play.example', ws_port: 443 }), 'wss://b.play.example:443/');
  assert.equal(redirectUrl('ws://a.example:1/?x', { host: 'fd00::2', ws_port: 9 }), 'ws://[fd00::2]:9/');
  assert.equal(redirectUrl('ws://a.example:7/', { host: '', ws_port: 8 }), 'ws://a.example:8/', 'no host: the current one');
  assert.equal(redirectUrl('wss://a.example:7/', { host: 'b.example', ws_port: 0 }), 'wss://b.example:7/', 'no port: the current one');
});
