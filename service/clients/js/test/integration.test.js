// Against a running rookery: ROOKERY_WS_URL=ws://localhost:12123/ (tests/e2e/run.sh sets it).
// Skipped without it. Node's own WebSocket when it has one (22+), else the `ws` package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WebSocket as WsWebSocket } from 'ws';
import { RookeryClient as BaseClient, cellCenter } from '../src/index.js';

const WebSocket = globalThis.WebSocket ?? WsWebSocket;
// The library under test, on whichever WebSocket this node has.
class RookeryClient extends BaseClient {
  constructor(options = {}) {
    super({ WebSocket, ...options });
  }
}

const URL = process.env.ROOKERY_WS_URL;
const skip = !URL ? 'ROOKERY_WS_URL not set' : false;

const until = async (pred, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('library against a real server: join, move, drop, reconnect to the same seat', { skip }, async () => {
  const a = new RookeryClient({ reconnectInitialDelayMs: 50 });
  const b = new RookeryClient();
  try {
    const welcome = await a.connect(URL);
    assert.equal(welcome.protocol_version, 1);
    assert.ok(welcome.reconnect_grace_ms > 0);
    await b.connect(URL);
    const okA = await a.loginGuest(`node-${randomUUID()}`, 'NodeA');
    await b.loginGuest(`node-${randomUUID()}`, 'NodeB');
    assert.ok(okA.player_id > 0 && okA.session_token.length > 0);
    const ja = await a.createRoom('spelltraction', { name: 'lib integration' });
    const rooms = await b.listRooms({ type: 'spelltraction' });
    assert.ok(rooms.some((r) => r.room_id === ja.room.room_id));
    const jb = await b.joinRoom(ja.room.room_id);
    assert.notEqual(ja.seat, jb.seat);
    assert.equal(typeof (await a.ping()), 'number');

    const target = cellCenter(10);
    assert.ok(a.move(target.x, target.y) > 0);
    await until(() => { const m = b.game.markers.get(ja.seat); return m && m.x === target.x && m.y === target.y; });

    let backSeen = false;
    b.on('event', (e) => { if (e.kind === 'player_reconnected' && e.player_reconnected.seat === ja.seat) backSeen = true; });
    const reconnected = new Promise((resolve) => a.on('reconnect', resolve));
    a.dropSocket();
    const info = await reconnected;
    assert.equal(info.resumed, true);
    assert.equal(info.seatRestored, true);
    assert.equal(a.room.seat, ja.seat);
    await until(() => backSeen && b.room.members.get(ja.seat)?.connected === true);

    try {
      const top = await a.getLeaderboard(5);
      assert.ok(Array.isArray(top));
    } catch (err) {
      assert.equal(err.code, 'UNKNOWN_MESSAGE'); // server without the handler yet
    }
    await a.leave();
    await b.leave();
  } finally {
    a.close();
    b.close();
  }
});
