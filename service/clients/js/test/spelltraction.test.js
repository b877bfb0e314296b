import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RookeryClient, SpellTractionState, cellAt, cellCenter } from '../src/index.js';
import { FakeServer, snapshotBytes, deltaBytes } from './fake.js';

const snapshot = {
  board: 'QWERTYUIOPAS',
  attractor: { cell: -1, progress: 0 },
  markers: [{ seat: 0, x: 50, y: 50 }, { seat: 1, x: 350, y: 250 }],
  players: [{ seat: 0, letters: 'QWE', score: 0 }, { seat: 1, letters: 'ASA', score: 2 }],
};

test('cells: index = row * 4 + column, 100 x 100 units', () => {
  assert.equal(cellAt(0, 0), 0);
  assert.equal(cellAt(399, 299), 11);
  assert.equal(cellAt(150, 250), 9);
  assert.equal(cellAt(-5, 1000), 8);
  assert.deepEqual(cellCenter(6), { x: 250, y: 150 });
});

test('snapshot loads everything', () => {
  const st = new SpellTractionState();
  st.loadSnapshot(snapshotBytes(snapshot), 10);
  assert.equal(st.tick, 10);
  assert.equal(st.board, 'QWERTYUIOPAS');
  assert.deepEqual(st.attractor, { cell: -1, progress: 0 });
  assert.deepEqual(st.markers.get(1), { x: 350, y: 250 });
  assert.equal(st.letters(1), 'ASA');
  assert.equal(st.score(1), 2);
  assert.equal(st.markerCell(0), 0);
});

test('deltas change only what they carry', () => {
  const st = new SpellTractionState();
  st.loadSnapshot(snapshotBytes(snapshot), 10);
  // Empty delta (zero bytes): nothing changed.
  let ch = st.applyDelta(new Uint8Array(0), 11);
  assert.deepEqual([ch.board, ch.attractor, ch.markers, ch.players, ch.gone, ch.scored], [false, false, [], [], [], []]);
  assert.equal(st.tick, 11);
  // A marker moves; the other stays.
  ch = st.applyDelta(deltaBytes({ markers: [{ seat: 0, x: 70, y: 60 }] }), 12);
  assert.deepEqual(ch.markers, [0]);
  assert.deepEqual(st.markers.get(0), { x: 70, y: 60 });
  assert.deepEqual(st.markers.get(1), { x: 350, y: 250 });
  // The attractor moves to cell 0 (encoded as an empty Attractor: cell 0, progress 0).
  ch = st.applyDelta(deltaBytes({ attractor: { cell: 0, progress: 0 } }), 13);
  assert.equal(ch.attractor, true);
  assert.deepEqual(st.attractor, { cell: 0, progress: 0 });
  ch = st.applyDelta(deltaBytes({ attractor: { cell: 0, progress: 500 } }), 14);
  assert.deepEqual(st.attractor, { cell: 0, progress: 500 });
  // A stale or repeated tick is ignored.
  assert.equal(st.applyDelta(deltaBytes({ markers: [{ seat: 0, x: 1, y: 1 }] }), 14), null);
  assert.deepEqual(st.markers.get(0), { x: 70, y: 60 });
});

test('a scoring delta: board letter replaced, holders +1 with a new letter', () => {
  const st = new SpellTractionState();
  st.loadSnapshot(snapshotBytes(snapshot), 10);
  const ch = st.applyDelta(deltaBytes({
    board: 'XWERTYUIOPAS',
    attractor: { cell: 0, progress: 0 },
    players: [{ seat: 0, letters: 'PWE', score: 1 }],
    scored: [{ cell: 0, letter: 'Q', seats: [0] }],
  }), 11);
  assert.equal(ch.board, true);
  assert.equal(st.board[0], 'X');
  assert.deepEqual(ch.scored, [{ cell: 0, letter: 'Q', seats: [0] }]);
  assert.equal(st.score(0), 1);
  assert.equal(st.letters(0), 'PWE');
  assert.equal(st.score(1), 2, 'other players untouched');
});

test('gone seats are removed; new players appear', () => {
  const st = new SpellTractionState();
  st.loadSnapshot(snapshotBytes(snapshot), 10);
  const ch = st.applyDelta(deltaBytes({
    gone: [1],
    markers: [{ seat: 2, x: 150, y: 150 }],
    players: [{ seat: 2, letters: 'EEE', score: 0 }],
  }), 11);
  assert.deepEqual(ch.gone, [1]);
  assert.equal(st.markers.has(1), false);
  assert.equal(st.players.has(1), false);
  assert.deepEqual(st.markers.get(2), { x: 150, y: 150 });
  assert.deepEqual(Object.keys(st.toJSON().players), ['0', '2']);
});

test('the client applies State deltas on the Joined snapshot and tracks members', async () => {
  const server = new FakeServer();
  server.seat = 0;
  server.snapshot = snapshot;
  const client = new RookeryClient({ WebSocket: server.WebSocket });
  await client.connect('ws://fake/');
  await client.loginGuest('device-0001', 'Ada');
  await client.joinOrCreate('spelltraction');
  const ws = server.last;
  const deltas = [];
  client.onState = (state, delta) => deltas.push([state.tick, delta]);
  const events = [];
  client.onEvent = (e) => events.push(e.kind);
  ws.deliver({ state: { room_id: 7, tick: 99, payload: deltaBytes({ markers: [{ seat: 0, x: 1, y: 1 }] }) } }); // before the snapshot
  ws.deliver({ state: { room_id: 8, tick: 150, payload: deltaBytes({ markers: [{ seat: 0, x: 1, y: 1 }] }) } }); // another room
  ws.deliver({ state: { room_id: 7, tick: 101, payload: deltaBytes({ markers: [{ seat: 0, x: 60, y: 55 }] }) } });
  ws.deliver({ event: { room_id: 7, player_joined: { member: { player_id: 9, display_name: 'Bob', seat: 4, connected: true } } } });
  ws.deliver({ state: { room_id: 7, tick: 102, payload: deltaBytes({ markers: [{ seat: 4, x: 250, y: 150 }], players: [{ seat: 4, letters: 'XYZ' }] }) } });
  ws.deliver({ event: { room_id: 7, player_left: { player_id: 9, seat: 4, reason: 'disconnected' } } });
  assert.equal(client.room.members.get(4).connected, false);
  ws.deliver({ event: { room_id: 7, player_reconnected: { player_id: 9, seat: 4 } } });
  assert.equal(client.room.members.get(4).connected, true);
  ws.deliver({ event: { room_id: 7, player_left: { player_id: 9, seat: 4, reason: 'timeout' } } });
  ws.deliver({ state: { room_id: 7, tick: 103, payload: deltaBytes({ gone: [4] }) } });
  assert.deepEqual(deltas.map((d) => d[0]), [101, 102, 103]);
  assert.deepEqual(client.game.markers.get(0), { x: 60, y: 55 });
  assert.equal(client.game.markers.has(4), false);
  assert.equal(client.room.members.has(4), false);
  assert.deepEqual(events, ['player_joined', 'player_left', 'player_reconnected', 'player_left']);
  client.close();
});
