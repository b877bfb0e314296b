import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RookeryClient, ErrorCode } from '../src/index.js';
import { FakeServer, waitFor, delay } from './fake.js';

const FAST = { reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 80, reconnectJitter: 0, seatRestoreTimeoutMs: 100 };

async function inRoom(opts = {}) {
  const server = new FakeServer();
  const client = new RookeryClient({ WebSocket: server.WebSocket, ...FAST, ...opts });
  await client.connect('ws://fake/');
  await client.loginGuest('device-0001', 'Ada');
  await client.joinOrCreate('spelltraction');
  return { server, client };
}

test('a dropped socket reconnects with the session token and gets the same seat back', async () => {
  const { server, client } = await inRoom();
  const log = [];
  client.onDisconnect = (i) => log.push(['disconnect', i.willReconnect]);
  client.onReconnecting = (i) => log.push(['reconnecting', i.attempt]);
  client.onJoined = (j, i) => log.push(['joined', j.seat, i.restored]);
  const reconnected = waitFor(client, 'reconnect');
  server.last.drop();
  assert.equal(client.status, 'reconnecting');
  const [info] = await reconnected;
  assert.deepEqual(log, [['disconnect', true], ['reconnecting', 1], ['joined', 3, true]]);
  assert.equal(info.resumed, true);
  assert.equal(info.seatRestored, true);
  assert.equal(info.seat, 3);
  assert.equal(info.roomId, 7);
  assert.equal(client.status, 'open');
  assert.equal(server.sockets.length, 2);
  // The new connection: Hello, then Reconnect with the token (no Login).
  const kinds = server.sockets[1].sent.map((e) => e.msg);
  assert.deepEqual(kinds, ['hello', 'reconnect']);
  assert.equal(server.sockets[1].sent[1].reconnect.session_token, 'tok-1');
  // Game state was reset from the new snapshot.
  assert.equal(client.game.tick, server.tick);
  assert.equal(client.move(1, 2) > 0, true, 'inputs flow again');
  client.close();
});

test('backoff grows exponentially while the server is unreachable', async () => {
  const { server, client } = await inRoom({ reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 60 });
  server.refuse = 3;
  const delays = [];
  client.onReconnecting = (i) => delays.push(i.delayMs);
  const reconnected = waitFor(client, 'reconnect', { timeoutMs: 3000 });
  server.last.drop();
  const [info] = await reconnected;
  assert.deepEqual(delays, [20, 40, 60, 60], 'doubling, capped at reconnectMaxDelayMs');
  assert.equal(info.attempts, 4);
  assert.equal(info.seatRestored, true);
  // The gaps between connection attempts follow the delays.
  const t = server.connectTimes;
  const gaps = t.slice(2).map((v, i) => v - t[i + 1]);
  assert.ok(gaps[0] >= 35 && gaps[1] >= 55, `gaps ${gaps}`);
  client.close();
});

test('jitter stays within the configured fraction', () => {
  const client = new RookeryClient({ reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 1000, reconnectJitter: 0.2 });
  for (let attempt = 1; attempt <= 8; attempt++) {
    const base = Math.min(1000, 100 * 2 ** (attempt - 1));
    const d = client.backoffDelay(attempt);
    assert.ok(d >= base * 0.8 && d <= base * 1.2, `attempt ${attempt}: ${d}`);
  }
});

test('RECONNECT_EXPIRED falls back to a fresh login; the lost seat is reported', async () => {
  const { server, client } = await inRoom();
  server.tokenValid = false;
  server.token = 'tok-2';
  const lefts = [];
  client.onLeft = (l) => lefts.push(l.reason);
  const errors = [];
  client.onError = (e) => errors.push(e.code);
  const reconnected = waitFor(client, 'reconnect');
  server.last.drop();
  const [info] = await reconnected;
  assert.equal(info.resumed, false);
  assert.equal(info.seatRestored, false);
  assert.equal(info.previousRoom.roomId, 7);
  assert.deepEqual(lefts, ['reconnect_expired']);
  assert.equal(client.room, null);
  assert.equal(client.session.session_token, 'tok-2');
  const kinds = server.sockets[1].sent.map((e) => e.msg);
  assert.deepEqual(kinds, ['hello', 'reconnect', 'login']);
  assert.equal(server.sockets[1].sent[2].login.guest.device_id, 'device-0001');
  assert.deepEqual(errors, [], 'the expected RECONNECT_EXPIRED is not an application error');
  client.close();
});

test('session resumed but seat released: Left(reconnect_expired), still logged in', async () => {
  const { server, client } = await inRoom();
  server.seatAnswer = 'expired';
  const reconnected = waitFor(client, 'reconnect');
  const left = waitFor(client, 'left');
  server.last.drop();
  const [[info], [l]] = await Promise.all([reconnected, left]);
  assert.equal(info.resumed, true);
  assert.equal(info.seatRestored, false);
  assert.equal(l.reason, 'reconnect_expired');
  assert.equal(client.room, null);
  assert.equal(client.status, 'open');
  client.close();
});

test('session resumed, no answer about the seat: it is given up after the timeout', async () => {
  const { server, client } = await inRoom({ seatRestoreTimeoutMs: 50 });
  server.seatAnswer = 'none';
  const reconnected = waitFor(client, 'reconnect');
  server.last.drop();
  const [info] = await reconnected;
  assert.equal(info.seatRestored, false);
  assert.equal(client.room, null);
  client.close();
});

test('a reconnect that is not in a room just resumes the session', async () => {
  const server = new FakeServer();
  const client = new RookeryClient({ WebSocket: server.WebSocket, ...FAST });
  await client.connect('ws://fake/');
  await client.loginGuest('device-0001', 'Ada');
  server.seatAnswer = 'none';
  const reconnected = waitFor(client, 'reconnect');
  const started = Date.now();
  server.last.drop();
  const [info] = await reconnected;
  assert.equal(info.resumed, true);
  assert.ok(Date.now() - started < 90, 'does not wait for a seat it did not have');
  client.close();
});

test('no reconnect after KICKED; close() stops a reconnect in progress', async () => {
  const { server, client } = await inRoom();
  const disc = waitFor(client, 'disconnect');
  server.last.deliver({ error: { code: ErrorCode.KICKED, message: 'logged in from another connection', fatal: true } });
  server.last.drop(1000);
  const [info] = await disc;
  assert.equal(info.willReconnect, false);
  await delay(40);
  assert.equal(server.sockets.length, 1);

  const b = await inRoom({ reconnectInitialDelayMs: 50 });
  b.server.last.drop();
  assert.equal(b.client.status, 'reconnecting');
  b.client.close();
  await delay(100);
  assert.equal(b.server.sockets.length, 1, 'no attempt after close()');
  assert.equal(b.client.status, 'closed');
});

test('gives up after reconnectMaxAttempts', async () => {
  const { server, client } = await inRoom({ reconnectMaxAttempts: 2 });
  server.refuse = Infinity;
  const failed = waitFor(client, 'reconnectFailed');
  const left = waitFor(client, 'left');
  server.last.drop();
  const [[err], [l]] = await Promise.all([failed, left]);
  assert.equal(err.code, 'CONNECT_FAILED');
  assert.equal(l.reason, 'reconnect_failed');
  assert.equal(client.status, 'closed');
  assert.equal(server.sockets.length, 3);
  client.close();
});

test('the dropSocket() test hook drops without Leave and honours a first-attempt delay', async () => {
  const { server, client } = await inRoom();
  const reconnecting = waitFor(client, 'reconnecting');
  const reconnected = waitFor(client, 'reconnect');
  const started = Date.now();
  assert.equal(client.dropSocket({ reconnectDelayMs: 60 }), true);
  const [r] = await reconnecting;
  assert.equal(r.delayMs, 60);
  const [info] = await reconnected;
  assert.ok(Date.now() - started >= 55);
  assert.equal(info.seat, 3);
  assert.equal(server.sockets[0].sent.some((e) => e.msg === 'leave'), false);
  client.close();
});

test('a keep-alive ping without pong drops the dead connection and reconnects', async () => {
  const { server, client } = await inRoom({ keepAliveMs: 20, requestTimeoutMs: 40 });
  server.silent.add('ping');
  const [info] = await waitFor(client, 'reconnect', { timeoutMs: 2000 });
  assert.equal(info.seatRestored, true);
  assert.ok(server.sockets.length >= 2);
  client.close();
});

test('RECONNECT_EXPIRED with nothing to log in again with: gives up at once', async () => {
  const { server, client } = await inRoom();
  client._credentials = null; // as after a session resumed by a token alone
  server.tokenValid = false;
  const failed = waitFor(client, 'reconnectFailed');
  server.last.drop();
  const [[err]] = await Promise.all([failed]);
  assert.equal(err.code, 'RECONNECT_EXPIRED');
  assert.equal(server.sockets.length, 2, 'one attempt only');
  client.close();
});
