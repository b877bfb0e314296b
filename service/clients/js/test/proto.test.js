import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEnvelope, encodeEnvelope, errorCodeName, ErrorCode, MESSAGE_NAMES, spelltractionPb,
} from '../src/index.js';
import { readFileSync } from 'node:fs';
import { encodeMove } from '../src/spelltraction.js';

const hex = (u8) => Buffer.from(u8).toString('hex');

test('Envelope bytes match the protobuf wire format', () => {
  // request_id=1 (08 01), hello (field 2, 5 bytes: protocol_version=1, client="x")
  const bytes = encodeEnvelope({ request_id: 1, hello: { protocol_version: 1, client: 'x' } });
  assert.equal(hex(bytes), '0801120508011201' + '78');
  const env = decodeEnvelope(bytes);
  assert.equal(env.msg, 'hello');
  assert.equal(env.request_id, 1);
  assert.equal(env.hello.client, 'x');
});

test('round trip of every kind of field: oneof, nested, repeated, uint64, bytes, enum', () => {
  const payload = new Uint8Array([1, 2, 3, 250]);
  const cases = [
    { request_id: 9, login: { guest: { device_id: 'device-12345' }, display_name: 'Ada' } },
    { request_id: 10, login: { password: { username: 'ada', password: 'secret-pw', create: true } } },
    { request_id: 11, room_list: { rooms: [{ room_id: 2 ** 40 + 5, type: 'relay', name: 'x', members: 2, max_players: 8, state: 2, tick_hz: 20 }] } },
    { state: { room_id: 3, tick: 123456789012, payload, acks: [{ seat: 1, seq: 77 }] } },
    { event: { room_id: 3, player_left: { player_id: 5, seat: 2, reason: 'disconnected' } } },
    { request_id: 4294967295, error: { code: ErrorCode.ROOM_FULL, message: 'full', fatal: true } },
    { request_id: 12, leaderboard: { entries: [{ player_id: 1, display_name: 'A', total_score: -3, games_played: 4, best_score: 9 }] } },
  ];
  for (const fields of cases) {
    const env = decodeEnvelope(encodeEnvelope(fields));
    const kind = Object.keys(fields).find((k) => k !== 'request_id');
    assert.equal(env.msg, kind);
    assert.equal(env.request_id, fields.request_id ?? 0);
  }
  const st = decodeEnvelope(encodeEnvelope(cases[3])).state;
  assert.equal(typeof st.tick, 'number', 'uint64 decodes as a number');
  assert.equal(st.tick, 123456789012);
  assert.deepEqual([...st.payload], [...payload]);
  assert.deepEqual(st.acks.map((a) => [a.seat, a.seq]), [[1, 77]]);
  const rl = decodeEnvelope(encodeEnvelope(cases[2])).room_list;
  assert.equal(rl.rooms[0].room_id, 2 ** 40 + 5);
  assert.equal(rl.rooms[0].state, 2);
  const err = decodeEnvelope(encodeEnvelope(cases[5])).error;
  assert.equal(errorCodeName(err.code), 'ROOM_FULL');
  assert.equal(err.fatal, true);
  assert.equal(decodeEnvelope(encodeEnvelope(cases[6])).leaderboard.entries[0].total_score, -3);
});

test('decodes from ArrayBuffer and node Buffer alike', () => {
  const bytes = encodeEnvelope({ request_id: 5, pong: { client_time: 1700000000000, server_time_ms: 1700000000123 } });
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  for (const input of [bytes, ab, Buffer.from(bytes)]) {
    const env = decodeEnvelope(input);
    assert.equal(env.msg, 'pong');
    assert.equal(env.pong.client_time, 1700000000000);
    assert.equal(env.pong.server_time_ms, 1700000000123);
  }
});

test('an empty Envelope has no message; garbage throws', () => {
  assert.equal(decodeEnvelope(new Uint8Array(0)).msg, undefined);
  assert.throws(() => decodeEnvelope(new Uint8Array([0x0a, 0xff, 0xff])));
});

test('MESSAGE_NAMES is exactly the Envelope oneof of the generated code', () => {
  // The generated getter lists the oneof's members in field order.
  const src = readFileSync(new URL('../src/gen/protos.js', import.meta.url), 'utf8');
  const list = src.match(/Envelope\.prototype, "msg", \{\s*get: \$util\.oneOfGetter\(\$oneOfFields = \[([^\]]*)\]/);
  assert.ok(list, 'Envelope.msg oneof found in src/gen/protos.js');
  assert.deepEqual(MESSAGE_NAMES, JSON.parse(`[${list[1]}]`));
  for (const name of MESSAGE_NAMES) {
    assert.equal(decodeEnvelope(encodeEnvelope({ [name]: {} })).msg, name);
  }
});

test('Redirect and Login.ticket round trip; the cluster error codes have their names', () => {
  const redirect = {
    node: 'node-b', host: '10.0.0.2', tcp_port: 12122, ws_port: 12123, ticket: 't'.repeat(40),
    room_id: 2 ** 33 + 1, ttl_ms: 5000, reconnect: false,
  };
  const r = decodeEnvelope(encodeEnvelope({ request_id: 5, redirect })).redirect;
  for (const [k, v] of Object.entries(redirect)) assert.equal(r[k], v, k); // defaults live on the prototype
  assert.equal(decodeEnvelope(encodeEnvelope({ redirect: { reconnect: true } })).redirect.reconnect, true);
  const l = decodeEnvelope(encodeEnvelope({ login: { ticket: 'abc' } })).login;
  assert.equal(l.method, 'ticket');
  assert.equal(l.ticket, 'abc');
  assert.equal(errorCodeName(28), 'CLUSTER_UNAVAILABLE');
  assert.equal(errorCodeName(29), 'TICKET_INVALID');
  assert.equal(ErrorCode.TICKET_INVALID, 29);
});

test('Move payload: rounded and clamped to the 400 x 300 board', () => {
  const m = spelltractionPb.Move.decode(encodeMove(1000.6, -7.2));
  assert.deepEqual([m.x, m.y], [399, 0]);
  const n = spelltractionPb.Move.decode(encodeMove(150.4, 149.6));
  assert.deepEqual([n.x, n.y], [150, 150]);
});
