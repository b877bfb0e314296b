// Player actions observed by real game clients: search and detail, kick closes the socket,
// ban refuses the next login with BANNED, unban lets them back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, apiAs, assertError, eventually, uniqueName } from '../lib/env.mjs';
import { GameClient, errorName, randomDeviceId } from '../lib/game-client.mjs';

const clients = [];
async function guest(opts = {}) {
  const c = await GameClient.guest({ port: env.tcpPort, ...opts });
  clients.push(c);
  return c;
}
after(() => {
  for (const c of clients) c.close();
});

/** A fresh connection that tries to log in with `deviceId`; returns the reply. */
async function tryLogin(deviceId) {
  const c = await GameClient.connect({ port: env.tcpPort });
  clients.push(c);
  await c.hello();
  const reply = await c.loginGuest(deviceId);
  return { c, reply };
}

test('players are found by name prefix and by id, with online status and stats', async () => {
  const name = uniqueName('findme');
  const c = await guest({ displayName: name, joinType: 'spelltraction' });
  const byName = await apiAs('viewer', 'GET', `/api/v1/players?q=${encodeURIComponent(name.slice(0, 10))}`);
  assert.equal(byName.status, 200, byName.text);
  const hit = byName.json.players.find((p) => p.id === c.playerId);
  assert.ok(hit, `player ${c.playerId} in ${byName.text}`);
  assert.equal(hit.display_name, name);
  assert.equal(hit.online, true);
  assert.equal(hit.guest, true);
  assert.equal(hit.banned, false);
  for (const k of ['total_score', 'games_played', 'best_score', 'last_played_ms', 'banned_until_ms', 'ban_reason']) assert.ok(k in hit, `has ${k}`);

  const byId = await apiAs('viewer', 'GET', `/api/v1/players?q=${c.playerId}`);
  assert.equal(byId.json.players[0].id, c.playerId, byId.text);

  const recent = await apiAs('viewer', 'GET', '/api/v1/players?limit=5');
  assert.ok(recent.json.players.length >= 1 && recent.json.players.length <= 5);

  const d = await apiAs('viewer', 'GET', `/api/v1/players/${c.playerId}`);
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.online, true);
  assert.equal(d.json.room_id, c.roomId);
  assert.ok(Array.isArray(d.json.recent_matches));
});

test("kick closes the player's socket (KICKED) and the player shows offline", async () => {
  const c = await guest({ displayName: uniqueName('kickme'), joinType: 'spelltraction' });
  const roomId = c.roomId;
  const reason = `kicked for a test ${Date.now()}`;
  const r = await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/kick`, { reason });
  assert.equal(r.status, 200, r.text);
  assert.equal(await c.waitClosed(5000), true, `socket still open; got: ${c.summary()}`);
  const kicked = c.errors().find((e) => e.code === 'KICKED');
  assert.ok(kicked, `expected Error KICKED before the close; got: ${c.summary()}`);
  assert.match(kicked.message, /kicked for a test/);
  await eventually(async () => (await apiAs('viewer', 'GET', `/api/v1/players/${c.playerId}`)).json.online === false, { what: 'offline' });
  // The seat was released, not held for a reconnect.
  await eventually(
    async () => {
      const d = await apiAs('viewer', 'GET', `/api/v1/rooms/${roomId}`);
      return d.status === 404 || !d.json.members_detail.some((m) => m.player_id === c.playerId);
    },
    { what: 'seat released' },
  );
  // A kicked player may log in again.
  const again = await tryLogin(c.deviceId);
  assert.equal(again.reply.msg, 'login_ok', again.c.describe(again.reply));
  // Kicking someone offline is 404.
  again.c.close();
  await again.c.waitClosed(3000);
  await eventually(async () => (await apiAs('viewer', 'GET', `/api/v1/players/${c.playerId}`)).json.online === false, { what: 'offline again' });
  assertError(await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/kick`, {}), 404);
});

test('ban disconnects the player and refuses the next login with BANNED; unban lets them in', async () => {
  const deviceId = randomDeviceId();
  const c = await guest({ deviceId, displayName: uniqueName('banme'), joinType: 'spelltraction' });
  const reason = `cheating ${Date.now()}`;
  const r = await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/ban`, { duration_s: 3600, reason });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.banned_until_ms > Date.now() + 3500_000 && r.json.banned_until_ms < Date.now() + 3700_000, r.text);
  assert.equal(await c.waitClosed(5000), true, `banned player still connected; got: ${c.summary()}`);

  const d = await apiAs('viewer', 'GET', `/api/v1/players/${c.playerId}`);
  assert.equal(d.json.banned, true);
  assert.equal(d.json.ban_reason, reason);
  assert.equal(d.json.banned_until_ms, r.json.banned_until_ms);

  const next = await tryLogin(deviceId);
  assert.equal(next.reply.msg, 'error', `login should fail: ${next.c.describe(next.reply)}`);
  assert.equal(errorName(next.reply.error.code), 'BANNED');
  assert.match(next.reply.error.message, /cheating/);
  assert.equal(await next.c.waitClosed(5000), true, 'a banned login is closed');

  const u = await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/unban`, {});
  assert.equal(u.status, 200, u.text);
  const after1 = await apiAs('viewer', 'GET', `/api/v1/players/${c.playerId}`);
  assert.equal(after1.json.banned, false);
  const back = await tryLogin(deviceId);
  assert.equal(back.reply.msg, 'login_ok', back.c.describe(back.reply));
  assert.equal(Number(back.reply.login_ok.player_id), c.playerId);
});

test('ban until a time (until_ms) works for an offline player', async () => {
  const deviceId = randomDeviceId();
  const c = await guest({ deviceId, displayName: uniqueName('until') });
  c.close();
  await c.waitClosed();
  const until = Date.now() + 2 * 86400_000;
  const r = await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/ban`, { until_ms: until, reason: 'two days' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.banned_until_ms, until);
  const next = await tryLogin(deviceId);
  assert.equal(errorName(next.reply.error?.code), 'BANNED', next.c.describe(next.reply));
  await apiAs('operator', 'POST', `/api/v1/players/${c.playerId}/unban`, {});
});
