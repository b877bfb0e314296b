// Bad input: malformed JSON (400), bodies over 1 MiB (413), headers over 8 KiB (431), unknown
// ids (404), missing or out-of-range fields (400), wrong methods (405).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, as, apiAs, assertError, rawRequest, rawExchange } from '../lib/env.mjs';

test('malformed JSON is 400 malformed_json', async () => {
  const s = await as('operator');
  for (const body of ['{', '{"type": "relay",}', 'not json', '[1,2,3]', '"a string"', '42', '{"type":"relay"}{']) {
    const r = await call('POST', '/api/v1/rooms', { token: s.token, body });
    assertError(r, 400, 'malformed_json');
  }
  // Login too.
  assertError(await call('POST', '/api/v1/auth/login', { body: '{"username": ' }), 400, 'malformed_json');
});

test('a body over 1 MiB is 413 (announced by Content-Length)', async () => {
  const s = await as('operator');
  const size = 2 * 1024 * 1024;
  const head =
    `POST /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${s.token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
  const r = await rawExchange(head, Buffer.alloc(size, 0x20));
  assert.equal(r.status, 413, `expected 413, got: ${r.text.slice(0, 300)}`);
  assert.match(r.text, /"error"/);
});

test('a chunked body that grows over 1 MiB is 413', async () => {
  const s = await as('operator');
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  const head =
    `POST /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${s.token}\r\n` +
    `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
  // Four full chunks (exactly 1 MiB), then only the size line of a fifth: the server refuses it
  // from that line alone, so nothing is left unread (no reset that could eat the answer).
  const parts = [];
  for (let i = 0; i < 4; i += 1) parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`));
  const r = await rawExchange(head, Buffer.concat(parts), { waitMs: 200 });
  assert.equal(r.status, 413, `expected 413, got: ${r.text.slice(0, 300)}`);
});

test('a body just under the limit is read (and rejected only as bad JSON)', async () => {
  const s = await as('operator');
  const body = `{"pad":"${'x'.repeat(1024 * 1024 - 64)}"`; // truncated JSON, ~1 MiB
  const r = await rawRequest({
    method: 'POST',
    path: '/api/v1/rooms',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    body,
  });
  assertError(r, 400, 'malformed_json');
});

test('headers over 8 KiB are 431', async () => {
  const head = `GET /api/v1/overview HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(9 * 1024)}\r\n\r\n`;
  const r = await rawExchange(head);
  assert.equal(r.status, 431, `expected 431, got: ${r.text.slice(0, 300)}`);
});

test('unknown ids are 404 not_found', async () => {
  const s = await as('admin');
  const t = { token: s.token };
  assertError(await call('GET', '/api/v1/rooms/987654321', t), 404, 'not_found');
  assertError(await call('GET', '/api/v1/rooms/not-a-number', t), 404);
  assertError(await call('GET', '/api/v1/players/987654321', t), 404, 'not_found');
  assertError(await call('GET', '/api/v1/players/99999999999999999999999', t), 404);
  for (const [action, body] of [
    ['lock', {}],
    ['unlock', {}],
    ['close', { reason: 'nope' }],
    ['broadcast', { message: 'nope' }],
  ]) {
    assertError(await call('POST', `/api/v1/rooms/987654321/${action}`, { ...t, body }), 404, 'not_found');
  }
  assertError(await call('POST', '/api/v1/players/987654321/ban', { ...t, body: { duration_s: 60 } }), 404, 'not_found');
  assertError(await call('POST', '/api/v1/players/987654321/unban', { ...t, body: {} }), 404, 'not_found');
  assertError(await call('POST', '/api/v1/players/987654321/kick', { ...t, body: {} }), 404);
  assertError(await call('GET', '/api/v1/no-such-thing', t), 404);
  assertError(await call('GET', '/no-such-path', t), 404);
});

test('missing or out-of-range fields are 400 invalid_argument', async () => {
  const s = await as('admin');
  const t = { token: s.token };
  const room = await call('POST', '/api/v1/rooms', { ...t, body: { type: 'relay', name: 'input-checks' } });
  assert.equal(room.status, 201, room.text);
  const id = room.json.id;
  const cases = [
    ['rooms', {}],
    ['rooms', { type: 'no-such-game' }],
    ['rooms', { type: 'relay', name: 'n'.repeat(65) }],
    ['rooms', { type: 'relay', max_players: 1_000_000 }],
    ['rooms', { type: 'relay', max_players: -1 }],
    [`rooms/${id}/close`, {}],
    [`rooms/${id}/close`, { reason: '' }],
    [`rooms/${id}/close`, { reason: 'r'.repeat(201) }],
    [`rooms/${id}/broadcast`, {}],
    [`rooms/${id}/broadcast`, { message: 'm'.repeat(501) }],
    ['players/1/ban', {}],
    ['players/1/ban', { duration_s: 0 }],
    ['players/1/ban', { duration_s: -5 }],
    ['players/1/ban', { until_ms: Date.now() - 60_000 }],
    ['players/1/ban', { duration_s: 60, reason: 'r'.repeat(201) }],
  ];
  for (const [path, body] of cases) {
    const r = await call('POST', `/api/v1/${path}`, { ...t, body });
    assertError(r, 400, 'invalid_argument');
  }
  // The room was neither closed nor changed by the refused calls.
  const after = await call('GET', `/api/v1/rooms/${id}`, t);
  assert.equal(after.json.state, 'open');
  await call('POST', `/api/v1/rooms/${id}/close`, { ...t, body: { reason: 'test over' } });
});

test('wrong methods are 405', async () => {
  const s = await as('admin');
  const t = { token: s.token };
  assertError(await call('DELETE', '/api/v1/rooms', t), 405);
  assertError(await call('POST', '/api/v1/overview', { ...t, body: {} }), 405);
  assertError(await call('GET', '/api/v1/auth/login'), 405);
  assertError(await call('GET', '/api/v1/server/drain', t), 405);
  assertError(await call('POST', '/api/v1/server/config', { ...t, body: {} }), 405);
});

test('query parameters are decoded and bounded', async () => {
  const s = await apiAs('viewer', 'GET', '/api/v1/rooms?limit=100000&offset=99999999');
  assert.equal(s.status, 200, s.text);
  assert.ok(s.json.limit <= 500, `limit is capped: ${s.json.limit}`);
  assert.deepEqual(s.json.rooms, []);
  const p = await apiAs('viewer', 'GET', `/api/v1/players?q=${'q'.repeat(65)}`);
  assertError(p, 400, 'invalid_argument');
  const enc = await apiAs('viewer', 'GET', '/api/v1/players?q=no%20such%20player&limit=5');
  assert.equal(enc.status, 200, enc.text);
  assert.deepEqual(enc.json.players, []);
});
