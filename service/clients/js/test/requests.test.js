import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RookeryClient, ErrorCode } from '../src/index.js';
import { FakeServer, waitFor, delay } from './fake.js';

async function connected(opts = {}) {
  const server = new FakeServer();
  const client = new RookeryClient({ WebSocket: server.WebSocket, ...opts });
  await client.connect('ws://fake/');
  return { server, client };
}

test('connect sends Hello first and resolves with the Welcome', async () => {
  const { server, client } = await connected();
  assert.equal(server.received[0].env.msg, 'hello');
  assert.equal(server.received[0].env.hello.protocol_version, 1);
  assert.match(server.received[0].env.hello.client, /^rookery-js\//);
  assert.equal(client.welcome.reconnect_grace_ms, 30000);
  assert.equal(client.status, 'open');
  client.close();
});

test('replies are matched by request_id, whatever their order', async () => {
  const { server, client } = await connected();
  const held = [];
  server.handlers.list_rooms = (ws, env) => { held.push({ ws, env }); return true; };
  server.handlers.ping = (ws, env) => { held.push({ ws, env }); return true; };
  const rooms = client.listRooms({ type: 'spelltraction' });
  const rtt = client.ping();
  await delay(5);
  assert.equal(held.length, 2);
  const [a, b] = held;
  assert.notEqual(a.env.request_id, b.env.request_id);
  assert.ok(a.env.request_id > 0 && b.env.request_id > 0);
  assert.equal(a.env.list_rooms.type, 'spelltraction');
  // Answer in reverse order.
  b.ws.deliver({ request_id: b.env.request_id, pong: { client_time: 1 } });
  a.ws.deliver({ request_id: a.env.request_id, room_list: { rooms: [{ room_id: 99, type: 'spelltraction' }] } });
  assert.equal((await rooms)[0].room_id, 99);
  assert.equal(typeof (await rtt), 'number');
  client.close();
});

test('an Error reply rejects the request with the code name', async () => {
  const { server, client } = await connected();
  server.handlers.join_room = (ws, env) => {
    ws.deliver({ request_id: env.request_id, error: { code: ErrorCode.ROOM_FULL, message: 'room is full' } });
    return true;
  };
  const errors = [];
  client.onError = (e) => errors.push(e);
  await assert.rejects(client.joinRoom(5), (err) => err.code === 'ROOM_FULL' && err.serverCode === 12 && err.message === 'room is full');
  assert.equal(errors.length, 0, 'a matched error is not also reported as unsolicited');
  client.close();
});

test('a request without reply times out; a late reply is ignored', async () => {
  const { server, client } = await connected({ requestTimeoutMs: 30 });
  server.silent.add('list_rooms');
  const started = Date.now();
  await assert.rejects(client.listRooms(), (err) => err.code === 'REQUEST_TIMEOUT');
  assert.ok(Date.now() - started >= 25);
  const rid = server.received.find((r) => r.env.msg === 'list_rooms').env.request_id;
  const errors = [];
  client.onError = (e) => errors.push(e);
  server.last.deliver({ request_id: rid, room_list: { rooms: [] } }); // too late: no crash, no effect
  assert.equal(client._pending.size, 0);
  assert.equal(errors.length, 0);
  client.close();
});

test('unsolicited errors go to onError; requests fail fast when disconnected', async () => {
  const { server, client } = await connected({ autoReconnect: false });
  const [err] = await Promise.all([
    waitFor(client, 'error').then(([e]) => e),
    delay(1).then(() => server.last.deliver({ error: { code: ErrorCode.RATE_LIMITED, message: 'slow down' } })),
  ]);
  assert.equal(err.code, 'RATE_LIMITED');
  server.silent.add('ping');
  const p = client.ping();
  const disconnected = waitFor(client, 'disconnect');
  server.last.drop();
  await assert.rejects(p, (e) => e.code === 'DISCONNECTED');
  const [info] = await disconnected;
  assert.equal(info.willReconnect, false, 'not logged in and autoReconnect off');
  await assert.rejects(client.listRooms(), (e) => e.code === 'NOT_CONNECTED');
  client.close();
});

test('login, join, leave and leaderboard map to their replies', async () => {
  const { server, client } = await connected();
  const ok = await client.loginGuest('device-0001', 'Ada');
  assert.equal(ok.player_id, 42);
  assert.equal(client.session.session_token, 'tok-1');
  const login = server.received.find((r) => r.env.msg === 'login').env.login;
  assert.equal(login.guest.device_id, 'device-0001');
  assert.equal(login.display_name, 'Ada');
  const joined = await client.joinOrCreate('spelltraction');
  assert.equal(joined.seat, 3);
  assert.equal(client.room.seat, 3);
  assert.equal(client.game.board, 'ABCDEFGHIJKL');
  const board = await client.getLeaderboard(5);
  assert.equal(board[0].total_score, 5);
  assert.equal(server.received.find((r) => r.env.msg === 'get_leaderboard').env.get_leaderboard.limit, 5);
  const left = await client.leave();
  assert.equal(left.reason, 'left');
  assert.equal(client.room, null);
  assert.equal(client.game, null);
  client.close();
});

test('inputs carry increasing seqs; acks measure input latency', async () => {
  const { server, client } = await connected();
  await client.loginGuest('device-0001', 'Ada');
  assert.equal(client.move(10, 10), 0, 'no input outside a room');
  await client.joinOrCreate('spelltraction');
  const s1 = client.move(120, 80);
  const s2 = client.sendInput(new Uint8Array([8, 1]));
  assert.equal(s2, s1 + 1);
  const inputs = server.received.filter((r) => r.env.msg === 'input').map((r) => r.env.input);
  assert.equal(inputs.length, 2);
  assert.equal(inputs[0].seq, s1);
  server.last.deliver({ state: { room_id: 7, tick: 101, acks: [{ seat: 3, seq: s2 }] } });
  assert.equal(typeof client.inputLatencyMs, 'number');
  client.close();
});
