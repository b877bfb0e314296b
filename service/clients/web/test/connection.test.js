// The page's connection logic (src/connection.js) driven by the real client library against
// two fake cluster nodes (../js/test/fake.js), with a recording stand-in for the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RookeryClient } from '../../js/src/index.js';
import { FakeNetwork, delay, waitFor } from '../../js/test/fake.js';
import { BOARD_GONE, KICKED_ELSEWHERE, PageConnection, friendly, redirectFailure } from '../src/connection.js';

const A_URL = 'ws://10.213.0.11:12123/';
const B_URL = 'ws://10.213.0.12:12123/';
const FAST = { reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 40, reconnectJitter: 0, seatRestoreTimeoutMs: 100 };
const TICKET = 'ticket-for-node-b';

/** Records what the page would show. */
function fakeUi() {
  const ui = {
    current: 'lobby', conn: 'open', bannerText: null, bannerOpts: null, lobbyErrorText: null,
    toasts: [], busy: [], roomRefreshes: 0,
    screen: () => ui.current,
    show: (screen) => { ui.current = screen; },
    setConn: (status) => { ui.conn = status; },
    banner: (text, opts = {}) => { ui.bannerText = text; ui.bannerOpts = opts; },
    toast: (text, kind = 'info') => { ui.toasts.push({ text, kind }); },
    lobbyError: (text) => { ui.lobbyErrorText = text; },
    lobbyBusy: (busy) => { ui.busy.push(busy); },
    refreshRooms: () => { ui.roomRefreshes += 1; },
    refreshLeaderboard: () => {},
  };
  return ui;
}

/** A page logged in at node a; node a sends joins on to node b, which evicts a's session. */
async function page(opts = {}) {
  const net = new FakeNetwork();
  const a = net.add(A_URL);
  const b = net.add(B_URL);
  a.token = 'tok-a';
  b.token = 'tok-b';
  b.room = { ...b.room, room_id: (2 << 20) + 1 };
  a.redirectJoins = { node: 'node-b', host: '10.213.0.12', tcp_port: 12122, ws_port: 12123, ticket: TICKET, room_id: b.room.room_id, ttl_ms: 5000 };
  b.tickets.add(TICKET);
  b.onTicketLogin = () => setTimeout(() => a.evict(), 3);
  const client = new RookeryClient({ WebSocket: net.WebSocket, ...FAST, ...opts });
  const ui = fakeUi();
  const conn = new PageConnection(client, ui);
  client.on('joined', () => ui.show('game')); // main.js's enterGame
  await client.connect(A_URL);
  await client.loginGuest('web-device-0001', 'Ada');
  return { net, a, b, client, ui, conn };
}

const until = async (pred, ms = 3000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(5);
  }
};

test('a redirected join lands on the board; the eviction after it is not "another tab"', async () => {
  const { a, client, ui, conn } = await page();
  await conn.enterRoom(() => client.joinOrCreate('spelltraction'));
  assert.equal(ui.current, 'game');
  assert.equal(client.url, B_URL);
  assert.deepEqual(ui.busy, [true, false], 'lobby buttons disabled during the join, enabled after');
  await delay(30); // a's eviction has come and gone
  assert.equal(a.sockets[0].readyState, 3);
  assert.equal(conn.kickedMessage, null);
  assert.equal(ui.bannerText, null);
  assert.equal(ui.lobbyErrorText, null);
  assert.deepEqual(ui.toasts.filter((t) => t.kind === 'warn'), []);
  assert.equal(conn.redirects.length, 1);
  assert.equal(conn.redirects[0].node, 'node-b');
  client.close();
});

test('a real KICKED still says "another tab or device"', async () => {
  const { b, client, ui, conn } = await page();
  await conn.enterRoom(() => client.joinOrCreate('spelltraction'));
  b.evict('logged in on another node'); // a later login of the same player elsewhere
  await until(() => ui.conn === 'closed');
  assert.equal(conn.kickedMessage, KICKED_ELSEWHERE);
  assert.equal(ui.bannerText, KICKED_ELSEWHERE);
  assert.equal(ui.bannerOpts.button, 'Reconnect');
  client.close();
});

test('a refused ticket: a clear message in the lobby, still connected where it was', async () => {
  const { a, b, client, ui, conn } = await page();
  b.tickets.clear();
  await conn.enterRoom(() => client.joinOrCreate('spelltraction'));
  assert.equal(ui.current, 'lobby');
  assert.equal(ui.lobbyErrorText, friendly({ code: 'TICKET_INVALID' }));
  assert.match(ui.lobbyErrorText, /seat kept for you .* expired/);
  assert.equal(ui.roomRefreshes, 1, 'the room list is refreshed');
  assert.equal(client.connected, true);
  assert.equal(client.url, A_URL);
  assert.equal(a.sockets[0].readyState, 1);
  assert.equal(ui.bannerText, null);
  client.close();
});

test('CLUSTER_UNAVAILABLE from the node: a clear message in the lobby', async () => {
  const { a, client, ui, conn } = await page();
  a.redirectJoins = null;
  a.handlers.join_room = (ws, env) => {
    ws.deliver({ request_id: env.request_id, error: { code: 28, message: 'node node-b did not answer; retry' } });
    return true;
  };
  await conn.enterRoom(() => client.joinRoom(99));
  assert.equal(ui.current, 'lobby');
  assert.match(ui.lobbyErrorText, /server that runs that board did not answer/);
  assert.deepEqual(ui.toasts, [], 'reported once, in the lobby');
  client.close();
});

test('the board\'s node cannot be reached: the message names it', async () => {
  const { net, client, ui, conn } = await page();
  net.servers.delete('10.213.0.12:12123');
  await conn.enterRoom(() => client.joinOrCreate('spelltraction'));
  assert.equal(ui.current, 'lobby');
  assert.equal(ui.lobbyErrorText, 'Cannot reach the server that runs that board (node-b). Try again in a moment.');
  assert.equal(client.connected, true);
  client.close();
});

test('the node the board runs on dies: back in the lobby at the entry node, with the reason', async () => {
  const { a, b, client, ui, conn } = await page({ reconnectFallbackAfter: 2 });
  await conn.enterRoom(() => client.joinOrCreate('spelltraction'));
  assert.equal(ui.current, 'game');
  a.tokenValid = false; // the session lived at b; a only knows the guest
  const back = waitFor(client, 'reconnect', { timeoutMs: 3000 });
  b.kill();
  await until(() => ui.bannerText !== null);
  assert.match(ui.bannerText, /reconnecting/);
  await back;
  await delay(5);
  assert.equal(ui.current, 'lobby');
  assert.equal(ui.lobbyErrorText, BOARD_GONE);
  assert.equal(ui.bannerText, null, 'the reconnecting banner is gone');
  assert.equal(ui.conn, 'open');
  assert.equal(client.url, A_URL);
  assert.equal(client.connected, true);
  assert.deepEqual(conn.reconnects.map((r) => [r.url, r.previousUrl, r.seatRestored]), [[A_URL, B_URL, false]]);
  // The page did not try to sit at the dead node's board again.
  assert.equal(a.last.sent.some((e) => e.msg === 'join_room'), false);
  client.close();
});

test('reconnecting fails for good: back to the lobby, and the banner offers to connect again', async () => {
  const { a, client, ui, conn } = await page({ reconnectMaxAttempts: 2 });
  a.redirectJoins = null;
  await conn.enterRoom(() => client.joinOrCreate('spelltraction'));
  assert.equal(ui.current, 'game');
  const failed = waitFor(client, 'reconnectFailed');
  a.kill();
  await failed;
  assert.equal(ui.current, 'lobby');
  assert.equal(ui.conn, 'closed');
  assert.match(ui.bannerText, /^Connection lost: Cannot reach the game server/);
  assert.equal(ui.bannerOpts.button, 'Reconnect');
  assert.ok(ui.toasts.some((t) => t.text === 'Connection lost.'));
  client.close();
});

test('the words for the cluster errors', () => {
  assert.match(friendly({ code: 'CLUSTER_UNAVAILABLE' }), /did not answer\. Try again/);
  assert.match(friendly({ code: 'TICKET_INVALID' }), /expired/);
  assert.equal(friendly({ code: 'CONNECT_FAILED' }, { url: A_URL }), `Cannot reach the game server (${A_URL}).`);
  assert.equal(redirectFailure({ code: 'REQUEST_TIMEOUT' }, { node: 'node-c' }), 'Cannot reach the server that runs that board (node-c). Try again in a moment.');
  assert.equal(redirectFailure({ code: 'ROOM_FULL' }, { node: 'node-c' }), 'That board is full.');
});
