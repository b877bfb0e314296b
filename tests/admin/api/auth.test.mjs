// Admin auth over real HTTP: 401 without a session, login (cookie + bearer), roles, logout,
// failed-login rate limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, call, login, as, apiAs, assertError, rawRequest } from '../lib/env.mjs';

const READS = ['overview', 'rooms', 'rooms/1', 'players', 'players/1', 'audit', 'server/config', 'admin-users', 'auth/me'];

test('every API call without a session answers 401 with a JSON error', async () => {
  for (const path of READS) {
    assertError(await call('GET', `/api/v1/${path}`), 401, 'unauthorized');
  }
  const mutations = [
    ['rooms', { type: 'spelltraction' }],
    ['rooms/1/lock', {}],
    ['rooms/1/close', { reason: 'x' }],
    ['players/1/kick', {}],
    ['players/1/ban', { duration_s: 60 }],
    ['server/drain', {}],
    ['auth/logout', {}],
  ];
  for (const [path, body] of mutations) {
    assertError(await call('POST', `/api/v1/${path}`, { body }), 401, 'unauthorized');
  }
  // The stream too: no event stream for strangers.
  const s = await call('GET', '/api/v1/stream');
  assertError(s, 401, 'unauthorized');
});

test('a made-up bearer token or cookie is 401', async () => {
  assertError(await call('GET', '/api/v1/overview', { token: '0123456789abcdef0123456789abcdef' }), 401);
  assertError(await call('GET', '/api/v1/overview', { cookie: 'rookery_session=nope' }), 401);
});

test('login returns role, CSRF token and bearer token, and sets an HttpOnly SameSite=Strict cookie', async () => {
  const s = await login(env.admin);
  assert.equal(s.username, env.admin.username);
  assert.equal(s.role, 'admin');
  assert.match(s.token, /^[0-9a-f]{32}$/);
  assert.match(s.csrf, /^[0-9a-f]{32}$/);
  assert.notEqual(s.token, s.csrf);
  assert.match(s.setCookie, /HttpOnly/i);
  assert.match(s.setCookie, /SameSite=Strict/i);
  assert.match(s.setCookie, /Path=\//);
  // The cookie and the bearer token both authenticate reads.
  const byCookie = await call('GET', '/api/v1/auth/me', { cookie: s.cookie });
  assert.equal(byCookie.status, 200, byCookie.text);
  assert.deepEqual(
    { username: byCookie.json.username, role: byCookie.json.role, csrf: byCookie.json.csrf_token },
    { username: env.admin.username, role: 'admin', csrf: s.csrf },
  );
  const byBearer = await call('GET', '/api/v1/overview', { token: s.token });
  assert.equal(byBearer.status, 200, byBearer.text);
  assert.equal(typeof byBearer.json.uptime_s, 'number');
  assert.equal(typeof byBearer.json.connections.total, 'number');
});

test('logins of the three roles report their role', async () => {
  assert.equal((await as('viewer')).role, 'viewer');
  assert.equal((await as('operator')).role, 'operator');
  assert.equal((await as('admin')).role, 'admin');
});

test('wrong password is 401 and a missing field is 400 (from its own address)', async () => {
  const r = await rawRequest({
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: env.admin.username, password: 'definitely-wrong' }),
    localAddress: '127.0.0.2',
  });
  assertError(r, 401, 'unauthorized');
  const m = await rawRequest({
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: env.admin.username }),
    localAddress: '127.0.0.2',
  });
  assertError(m, 400);
});

test('failed logins back off (429, Retry-After) and are audited; the owner\'s known address is not locked out', async () => {
  const attempt = (password) =>
    rawRequest({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: env.admin.username, password }),
      localAddress: '127.0.0.3',
    });
  const statuses = [];
  for (let i = 0; i < 8; i += 1) statuses.push((await attempt(`wrong-password-${i}`)).status);
  // The user's budget is five failures in all (an earlier test spent one): 401s, then 429s.
  const firstRefusal = statuses.indexOf(429);
  assert.ok(firstRefusal >= 3 && firstRefusal <= 5, `401s then 429s: ${statuses}`);
  assert.ok(statuses.slice(firstRefusal).every((s) => s === 429), `after the budget: ${statuses}`);
  // Even the right password is refused from that address while the backoff lasts...
  const right = await attempt(env.admin.password);
  assertError(right, 429, 'rate_limited');
  assert.ok(Number(right.headers['retry-after']) >= 1, `Retry-After: ${right.headers['retry-after']}`);
  // ...while 127.0.0.1, where this user logged in before, still logs in.
  const ok = await call('POST', '/api/v1/auth/login', { body: env.admin });
  assert.equal(ok.status, 200, ok.text);
  // Each failure is in the audit log with its source address.
  const audit = await call('GET', '/api/v1/audit?limit=50', { token: ok.json.token });
  assert.equal(audit.status, 200, audit.text);
  const failed = JSON.stringify(audit.json).match(/auth\.login_failed/g) || [];
  assert.ok(failed.length >= 8, `failed logins audited: ${failed.length}`);
  assert.ok(JSON.stringify(audit.json).includes('127.0.0.3'), 'the source address is recorded');
});

test('a viewer may read but every operator action is 403', async () => {
  const v = await as('viewer');
  for (const path of ['overview', 'rooms', 'players', 'audit', 'server/config']) {
    const r = await call('GET', `/api/v1/${path}`, { token: v.token });
    assert.equal(r.status, 200, `${path}: ${r.text}`);
  }
  // A real room so 403 is about the role, not a missing id.
  const created = await apiAs('admin', 'POST', '/api/v1/rooms', { type: 'relay', name: 'viewer-403' });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id;
  const denied = [
    ['rooms', { type: 'spelltraction', name: 'nope' }],
    [`rooms/${id}/lock`, {}],
    [`rooms/${id}/unlock`, {}],
    [`rooms/${id}/broadcast`, { message: 'hello' }],
    [`rooms/${id}/close`, { reason: 'no' }],
    ['players/1/kick', { reason: 'no' }],
    ['players/1/ban', { duration_s: 60, reason: 'no' }],
    ['players/1/unban', {}],
    ['server/drain', {}],
    ['admin-users', { username: 'sneaky', password: 'password123', role: 'admin' }],
  ];
  for (const [path, body] of denied) {
    const r = await call('POST', `/api/v1/${path}`, { token: v.token, body });
    assertError(r, 403, 'forbidden');
    assert.match(r.json.error.message, /viewer/);
  }
  assertError(await call('GET', '/api/v1/admin-users', { token: v.token }), 403, 'forbidden');
  // The room is untouched.
  const after = await apiAs('admin', 'GET', `/api/v1/rooms/${id}`);
  assert.equal(after.json.state, 'open');
  await apiAs('admin', 'POST', `/api/v1/rooms/${id}/close`, { reason: 'test over' });
});

test('an operator may act on rooms but not manage admins or drain (403)', async () => {
  const created = await apiAs('operator', 'POST', '/api/v1/rooms', { type: 'relay', name: 'operator-ok' });
  assert.equal(created.status, 201, created.text);
  const lock = await apiAs('operator', 'POST', `/api/v1/rooms/${created.json.id}/lock`, {});
  assert.equal(lock.status, 200, lock.text);
  assertError(await apiAs('operator', 'GET', '/api/v1/admin-users'), 403, 'forbidden');
  assertError(await apiAs('operator', 'POST', '/api/v1/admin-users', { username: 'op2', password: 'password123', role: 'admin' }), 403, 'forbidden');
  assertError(await apiAs('operator', 'POST', '/api/v1/server/drain', {}), 403, 'forbidden');
  await apiAs('operator', 'POST', `/api/v1/rooms/${created.json.id}/close`, { reason: 'test over' });
});

test('admins list and create admin users; duplicates are 409, bad input 400', async () => {
  const list = await apiAs('admin', 'GET', '/api/v1/admin-users');
  assert.equal(list.status, 200, list.text);
  const names = list.json.users.map((u) => u.username);
  for (const u of [env.admin, env.viewer, env.operator]) assert.ok(names.includes(u.username), `${u.username} in ${names}`);
  for (const u of list.json.users) assert.equal(u.password_hash, undefined, 'no password hashes in the API');
  const name = `extra${Date.now().toString(36)}`;
  const created = await apiAs('admin', 'POST', '/api/v1/admin-users', { username: name, password: 'long-enough-pw', role: 'viewer' });
  assert.equal(created.status, 201, created.text);
  const s = await login({ username: name, password: 'long-enough-pw' });
  assert.equal(s.role, 'viewer');
  assertError(await apiAs('admin', 'POST', '/api/v1/admin-users', { username: name, password: 'long-enough-pw', role: 'viewer' }), 409);
  assertError(await apiAs('admin', 'POST', '/api/v1/admin-users', { username: 'x', password: 'long-enough-pw', role: 'viewer' }), 400);
  assertError(await apiAs('admin', 'POST', '/api/v1/admin-users', { username: `${name}b`, password: 'short', role: 'viewer' }), 400);
  assertError(await apiAs('admin', 'POST', '/api/v1/admin-users', { username: `${name}c`, password: 'long-enough-pw', role: 'root' }), 400);
});

test('logout ends the session and clears the cookie', async () => {
  const s = await login(env.viewer);
  const out = await call('POST', '/api/v1/auth/logout', { cookie: s.cookie, csrf: s.csrf });
  assert.equal(out.status, 200, out.text);
  assert.match(out.headers.get('set-cookie') || '', /rookery_session=;.*Max-Age=0/i);
  assertError(await call('GET', '/api/v1/auth/me', { cookie: s.cookie }), 401);
  assertError(await call('GET', '/api/v1/auth/me', { token: s.token }), 401);
});
