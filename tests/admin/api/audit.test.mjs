// The audit log lists every mutating admin action: who, when, what, on what, and whether it
// worked; it pages newest first with `before`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, as, apiAs, eventually, uniqueName } from '../lib/env.mjs';
import { GameClient } from '../lib/game-client.mjs';

const clients = [];
after(() => {
  for (const c of clients) c.close();
});

test('room and player actions are in the audit log with actor, target and detail', async () => {
  const started = Date.now() - 1000;
  const op = await as('operator');
  const name = uniqueName('audited');
  const room = await apiAs('operator', 'POST', '/api/v1/rooms', { type: 'spelltraction', name });
  assert.equal(room.status, 201, room.text);
  const id = room.json.id;
  const c = await GameClient.guest({ port: env.tcpPort, displayName: uniqueName('aud') });
  clients.push(c);
  assert.equal((await c.joinRoom(id)).msg, 'joined');
  const notice = `audit notice ${Date.now()}`;
  await apiAs('operator', 'POST', `/api/v1/rooms/${id}/lock`, {});
  await apiAs('operator', 'POST', `/api/v1/rooms/${id}/unlock`, {});
  await apiAs('operator', 'POST', `/api/v1/rooms/${id}/broadcast`, { message: notice });
  await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/kick`, { reason: 'audit kick' });
  await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/ban`, { duration_s: 60, reason: 'audit ban' });
  await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/unban`, {});
  await apiAs('operator', 'POST', `/api/v1/rooms/${id}/close`, { reason: 'audit close' });
  await apiAs('operator', 'POST', '/api/v1/rooms/987654321/lock', {}); // fails: no such room

  const expected = [
    ['room.create', `room:${id}`, (d) => d.includes(name), true],
    ['room.lock', `room:${id}`, () => true, true],
    ['room.unlock', `room:${id}`, () => true, true],
    ['room.broadcast', `room:${id}`, (d) => d === notice, true],
    ['player.kick', `player:${c.playerId}`, (d) => d === 'audit kick', true],
    ['player.ban', `player:${c.playerId}`, (d) => d === 'audit ban', true],
    ['player.unban', `player:${c.playerId}`, () => true, true],
    ['room.close', `room:${id}`, (d) => d === 'audit close', true],
    ['room.lock', 'room:987654321', () => true, false],
  ];
  // The store writes the audit entry asynchronously: wait until all are there.
  const entries = await eventually(
    async () => {
      const r = await apiAs('viewer', 'GET', '/api/v1/audit?limit=200');
      assert.equal(r.status, 200, r.text);
      const mine = r.json.entries.filter((e) => e.actor === op.username && e.at_ms >= started);
      return expected.every(([action, target]) => mine.some((e) => e.action === action && e.target === target)) && mine;
    },
    { what: 'audit entries', timeoutMs: 10000 },
  );
  for (const [action, target, detailOk, ok] of expected) {
    const e = entries.find((x) => x.action === action && x.target === target);
    assert.ok(detailOk(e.detail), `${action} detail: ${JSON.stringify(e)}`);
    assert.equal(e.ok, ok, `${action} ok: ${JSON.stringify(e)}`);
    assert.ok(Math.abs(e.at_ms - Date.now()) < 120_000, 'at_ms is unix ms');
    assert.equal(typeof e.id, 'number');
  }
  // Newest first.
  const ids = entries.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
});

test('audit paging with before= walks back without overlap', async () => {
  for (let i = 0; i < 6; i += 1) {
    await apiAs('admin', 'POST', '/api/v1/rooms', { type: 'relay', name: uniqueName(`pg${i}`) });
  }
  const first = await eventually(async () => {
    const r = await apiAs('viewer', 'GET', '/api/v1/audit?limit=3');
    return r.json.entries.length === 3 && r;
  });
  const before = first.json.entries[2].id;
  const second = await apiAs('viewer', 'GET', `/api/v1/audit?limit=3&before=${before}`);
  assert.equal(second.status, 200, second.text);
  assert.equal(second.json.entries.length, 3);
  for (const e of second.json.entries) assert.ok(e.id < before, `${e.id} < ${before}`);
  const seen = new Set(first.json.entries.map((e) => e.id));
  for (const e of second.json.entries) assert.ok(!seen.has(e.id), 'no overlap');
  const capped = await apiAs('viewer', 'GET', '/api/v1/audit?limit=100000');
  assert.ok(capped.json.entries.length <= 500);
});
