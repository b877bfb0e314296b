// CSRF: a cookie-authenticated mutation needs X-CSRF-Token; bearer tokens do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, call, login, assertError } from '../lib/env.mjs';

test('cookie mutation without X-CSRF-Token is 403, with a wrong one 403, with the right one it works', async () => {
  const s = await login(env.operator);
  const body = { type: 'relay', name: 'csrf-check' };
  assertError(await call('POST', '/api/v1/rooms', { cookie: s.cookie, body }), 403, 'csrf');
  assertError(await call('POST', '/api/v1/rooms', { cookie: s.cookie, csrf: '', body }), 403, 'csrf');
  assertError(await call('POST', '/api/v1/rooms', { cookie: s.cookie, csrf: 'f'.repeat(32), body }), 403, 'csrf');
  assertError(await call('POST', '/api/v1/rooms', { cookie: s.cookie, csrf: s.csrf.slice(0, 31), body }), 403, 'csrf');
  // Another session's CSRF token is wrong for this session.
  const other = await login(env.operator);
  assertError(await call('POST', '/api/v1/rooms', { cookie: s.cookie, csrf: other.csrf, body }), 403, 'csrf');
  // Nothing was created by the refused calls.
  const before = await call('GET', '/api/v1/rooms?q=csrf-check', { cookie: s.cookie });
  assert.equal(before.json.total, 0, before.text);

  const ok = await call('POST', '/api/v1/rooms', { cookie: s.cookie, csrf: s.csrf, body });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.name, 'csrf-check');

  // The same holds for room and player actions.
  const id = ok.json.id;
  assertError(await call('POST', `/api/v1/rooms/${id}/lock`, { cookie: s.cookie, body: {} }), 403, 'csrf');
  const locked = await call('POST', `/api/v1/rooms/${id}/lock`, { cookie: s.cookie, csrf: s.csrf, body: {} });
  assert.equal(locked.status, 200, locked.text);
  assertError(await call('POST', `/api/v1/rooms/${id}/close`, { cookie: s.cookie, csrf: 'nope', body: { reason: 'x' } }), 403, 'csrf');
  const closed = await call('POST', `/api/v1/rooms/${id}/close`, { cookie: s.cookie, csrf: s.csrf, body: { reason: 'csrf test over' } });
  assert.equal(closed.status, 200, closed.text);
});

test('a viewer is refused with or without the CSRF token (403)', async () => {
  const v = await login(env.viewer);
  assertError(await call('POST', '/api/v1/rooms/1/lock', { cookie: v.cookie, body: {} }), 403);
  assertError(await call('POST', '/api/v1/rooms/1/lock', { cookie: v.cookie, csrf: v.csrf, body: {} }), 403, 'forbidden');
});

test('logout through the cookie needs the CSRF token too', async () => {
  const s = await login(env.viewer);
  assertError(await call('POST', '/api/v1/auth/logout', { cookie: s.cookie }), 403, 'csrf');
  const me = await call('GET', '/api/v1/auth/me', { cookie: s.cookie });
  assert.equal(me.status, 200, 'a refused logout leaves the session alive');
});

test('reads need no CSRF token', async () => {
  const s = await login(env.viewer);
  for (const path of ['overview', 'rooms', 'players', 'audit', 'server/config', 'auth/me']) {
    const r = await call('GET', `/api/v1/${path}`, { cookie: s.cookie });
    assert.equal(r.status, 200, `${path}: ${r.text}`);
  }
});

test('a bearer token needs no CSRF token', async () => {
  const s = await login(env.operator);
  const r = await call('POST', '/api/v1/rooms', { token: s.token, body: { type: 'relay', name: 'bearer-no-csrf' } });
  assert.equal(r.status, 201, r.text);
  const c = await call('POST', `/api/v1/rooms/${r.json.id}/close`, { token: s.token, body: { reason: 'bearer test over' } });
  assert.equal(c.status, 200, c.text);
});
