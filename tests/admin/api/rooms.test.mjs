// Room actions observed by real game clients over TCP: list/detail show members, broadcast
// reaches members as Event.notice, lock refuses joins, close tells members (RoomClosing, Left).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, apiAs, assertError, eventually, uniqueName } from '../lib/env.mjs';
import { GameClient, errorName } from '../lib/game-client.mjs';

const clients = [];
async function guest(opts = {}) {
  const c = await GameClient.guest({ port: env.tcpPort, ...opts });
  clients.push(c);
  return c;
}
after(() => {
  for (const c of clients) c.close();
});

/** Creates a spelltraction room by API and puts a fresh guest in it. */
async function roomWithMember(name) {
  const created = await apiAs('operator', 'POST', '/api/v1/rooms', { type: 'spelltraction', name, max_players: 8 });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id;
  const c = await guest({ displayName: uniqueName('m') });
  const joined = await c.joinRoom(id);
  assert.equal(joined.msg, 'joined', c.describe(joined));
  return { id, client: c };
}

test('a client that joins appears in the room list and the room detail', async () => {
  const c = await guest({ displayName: uniqueName('lister'), joinType: 'spelltraction' });
  const roomId = c.roomId;
  assert.ok(roomId > 0);
  const listed = await eventually(
    async () => {
      const r = await apiAs('viewer', 'GET', '/api/v1/rooms?type=spelltraction&limit=500');
      return r.json.rooms.find((x) => x.id === roomId && x.members >= 1);
    },
    { what: `room ${roomId} in the list` },
  );
  assert.equal(listed.type, 'spelltraction');
  assert.equal(listed.state, 'open');
  for (const k of ['name', 'max_players', 'tick_hz', 'shard', 'created_ms']) assert.ok(k in listed, `listing has ${k}`);

  const d = await apiAs('viewer', 'GET', `/api/v1/rooms/${roomId}`);
  assert.equal(d.status, 200, d.text);
  const me = d.json.members_detail.find((m) => m.player_id === c.playerId);
  assert.ok(me, `member ${c.playerId} in ${JSON.stringify(d.json.members_detail)}`);
  assert.equal(me.display_name, c.displayName);
  assert.equal(me.connected, true);
  assert.equal(typeof d.json.summary, 'string');
  assert.match(d.json.summary, /board/);
  assert.equal(typeof d.json.stats.ticks, 'number');

  // The player detail knows where they are.
  const p = await apiAs('viewer', 'GET', `/api/v1/players/${c.playerId}`);
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.online, true);
  assert.equal(p.json.room_id, roomId);
});

test('rooms list filters, sorts and pages', async () => {
  const tag = uniqueName('page');
  const ids = [];
  for (let i = 0; i < 5; i += 1) {
    const r = await apiAs('operator', 'POST', '/api/v1/rooms', { type: 'relay', name: `${tag}-${i}` });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.type, 'relay');
    assert.equal(r.json.name, `${tag}-${i}`);
    ids.push(r.json.id);
  }
  const q = (s) => apiAs('viewer', 'GET', `/api/v1/rooms?${s}`);
  const all = await q(`q=${tag}&sort=id&order=asc`);
  assert.equal(all.json.total, 5, all.text);
  assert.deepEqual(all.json.rooms.map((r) => r.id), ids);
  const desc = await q(`q=${tag}&sort=id&order=desc`);
  assert.deepEqual(desc.json.rooms.map((r) => r.id), [...ids].reverse());
  const byCreated = await q(`q=${tag}&sort=created&order=asc`);
  assert.deepEqual(byCreated.json.rooms.map((r) => r.id), ids);
  const page2 = await q(`q=${tag}&sort=id&order=asc&offset=2&limit=2`);
  assert.equal(page2.json.total, 5);
  assert.equal(page2.json.offset, 2);
  assert.equal(page2.json.limit, 2);
  assert.deepEqual(page2.json.rooms.map((r) => r.id), ids.slice(2, 4));
  // q matches an id exactly or a name by substring (random names may hold the id's digits).
  const byId = await q(`q=${ids[3]}`);
  assert.ok(byId.json.rooms.some((r) => r.id === ids[3]), byId.text);
  for (const r of byId.json.rooms) assert.ok(r.id === ids[3] || r.name.includes(String(ids[3])), r.name);
  const wrongType = await q(`q=${tag}&type=spelltraction`);
  assert.equal(wrongType.json.total, 0);
  // State filter: lock one, it alone is "locked".
  assert.equal((await apiAs('operator', 'POST', `/api/v1/rooms/${ids[1]}/lock`, {})).status, 200);
  const locked = await eventually(async () => {
    const r = await q(`q=${tag}&state=locked`);
    return r.json.total === 1 && r;
  });
  assert.equal(locked.json.rooms[0].id, ids[1]);
  const open = await q(`q=${tag}&state=open`);
  assert.equal(open.json.total, 4);
  for (const id of ids) await apiAs('operator', 'POST', `/api/v1/rooms/${id}/close`, { reason: 'paging test over' });
});

test('broadcast reaches every member as Event.notice', async () => {
  const { id, client } = await roomWithMember(uniqueName('bcast'));
  const second = await guest({ displayName: uniqueName('m2') });
  assert.equal((await second.joinRoom(id)).msg, 'joined');
  const text = `maintenance in 5 minutes ${Date.now()}`;
  const r = await apiAs('operator', 'POST', `/api/v1/rooms/${id}/broadcast`, { message: text });
  assert.equal(r.status, 200, r.text);
  for (const c of [client, second]) {
    const ev = await c.waitFor((e) => e.msg === 'event' && e.event.kind === 'notice', 5000, 'Event.notice');
    assert.equal(ev.event.notice.text, text);
    assert.equal(Number(ev.event.room_id), id);
  }
});

test('lock makes the room refuse joins (ROOM_LOCKED); unlock lets them in again', async () => {
  const { id, client } = await roomWithMember(uniqueName('lock'));
  const r = await apiAs('operator', 'POST', `/api/v1/rooms/${id}/lock`, {});
  assert.equal(r.status, 200, r.text);
  await eventually(async () => (await apiAs('viewer', 'GET', `/api/v1/rooms/${id}`)).json.state === 'locked', { what: 'state locked' });
  const late = await guest({ displayName: uniqueName('late') });
  const refused = await eventually(async () => {
    const j = await late.joinRoom(id);
    return j.msg === 'error' && j;
  }, { what: 'join refused' });
  assert.equal(errorName(refused.error.code), 'ROOM_LOCKED', late.describe(refused));
  // The member already inside stays.
  assert.equal(client.isClosed, false);
  assert.equal(client.roomId, id);

  const u = await apiAs('operator', 'POST', `/api/v1/rooms/${id}/unlock`, {});
  assert.equal(u.status, 200, u.text);
  const joined = await eventually(async () => {
    const j = await late.joinRoom(id);
    return j.msg === 'joined' && j;
  }, { what: 'join after unlock' });
  assert.equal(Number(joined.joined.room.room_id), id);
  const d = await apiAs('viewer', 'GET', `/api/v1/rooms/${id}`);
  assert.equal(d.json.state, 'open');
  assert.equal(d.json.members_detail.length, 2);
});

test("close tells the room's members (RoomClosing with the reason, then Left) and removes the room", async () => {
  const { id, client } = await roomWithMember(uniqueName('close'));
  const reason = `closed for a test ${Date.now()}`;
  const r = await apiAs('operator', 'POST', `/api/v1/rooms/${id}/close`, { reason });
  assert.equal(r.status, 200, r.text);
  const closing = await client.waitFor((e) => e.msg === 'event' && e.event.kind === 'room_closing', 5000, 'Event.room_closing');
  assert.equal(closing.event.room_closing.reason, reason);
  assert.equal(Number(closing.event.room_id), id);
  const left = await client.waitFor((e) => e.msg === 'left', 5000, 'Left');
  assert.equal(Number(left.left.room_id), id);
  assert.equal(left.left.reason, 'room_closed');
  // The client stays connected (only the room went away) and the room disappears.
  assert.equal(client.isClosed, false);
  await eventually(async () => (await apiAs('viewer', 'GET', `/api/v1/rooms/${id}`)).status === 404, { what: 'room gone' });
  const join = await client.joinRoom(id);
  assert.equal(join.msg, 'error');
});

test('a room created by the API can be joined by id', async () => {
  const name = uniqueName('made');
  const r = await apiAs('operator', 'POST', '/api/v1/rooms', { type: 'relay', name, max_players: 2 });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.max_players, 2);
  assert.equal(r.json.state, 'open');
  const c = await guest({ displayName: uniqueName('joiner') });
  const j = await c.joinRoom(r.json.id);
  assert.equal(j.msg, 'joined', c.describe(j));
  assert.equal(j.joined.room.name, name);
  await apiAs('operator', 'POST', `/api/v1/rooms/${r.json.id}/close`, { reason: 'test over' });
});

test('actions on a closed room are 404', async () => {
  const r = await apiAs('operator', 'POST', '/api/v1/rooms', { type: 'relay', name: uniqueName('gone') });
  const id = r.json.id;
  await apiAs('operator', 'POST', `/api/v1/rooms/${id}/close`, { reason: 'going away' });
  await eventually(async () => (await apiAs('viewer', 'GET', `/api/v1/rooms/${id}`)).status === 404, { what: 'room gone' });
  assertError(await apiAs('operator', 'POST', `/api/v1/rooms/${id}/lock`, {}), 404, 'not_found');
  assertError(await apiAs('operator', 'POST', `/api/v1/rooms/${id}/broadcast`, { message: 'hi' }), 404, 'not_found');
});
