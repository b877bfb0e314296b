// What run.sh tells the tests about the spawned server, and HTTP helpers for the admin API.
import http from 'node:http';
import net from 'node:net';
import assert from 'node:assert/strict';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through tests/admin/run.sh`);
  return v;
}

export const env = {
  get http() {
    return need('ROOKERY_TEST_HTTP'); // http://127.0.0.1:PORT
  },
  get httpPort() {
    return Number(new URL(this.http).port);
  },
  get tcpPort() {
    return Number(need('ROOKERY_TEST_TCP_PORT'));
  },
  get admin() {
    return { username: need('ROOKERY_TEST_ADMIN_USER'), password: need('ROOKERY_TEST_ADMIN_PASSWORD') };
  },
  get operator() {
    return { username: need('ROOKERY_TEST_OPERATOR_USER'), password: need('ROOKERY_TEST_OPERATOR_PASSWORD') };
  },
  get viewer() {
    return { username: need('ROOKERY_TEST_VIEWER_USER'), password: need('ROOKERY_TEST_VIEWER_PASSWORD') };
  },
  get artifacts() {
    return need('ROOKERY_TEST_ARTIFACTS');
  },
  get serverPid() {
    return Number(process.env.ROOKERY_TEST_PID || 0);
  },
};

/**
 * One request with fetch. opts: { token (bearer), cookie, csrf, body (object -> JSON, string
 * as is), headers }. Returns { status, headers, text, json }.
 */
export async function call(method, path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf !== undefined) headers['x-csrf-token'] = opts.csrf;
  let body;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = headers['content-type'] || 'application/json';
  }
  const res = await fetch(env.http + path, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts an API error: status, JSON {error:{code,message}}, and optionally the code. */
export function assertError(r, status, code) {
  assert.equal(r.status, status, `expected HTTP ${status}, got ${r.status}: ${r.text}`);
  assert.ok(r.json && r.json.error, `error body must be JSON {error:{...}}, got: ${r.text}`);
  assert.equal(typeof r.json.error.code, 'string');
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0, 'error.message must not be empty');
  if (code) assert.equal(r.json.error.code, code, `error code: ${r.text}`);
}

/** Logs in; returns { token, csrf, cookie, role, username, setCookie }. */
export async function login({ username, password }) {
  const r = await call('POST', '/api/v1/auth/login', { body: { username, password } });
  assert.equal(r.status, 200, `login ${username}: HTTP ${r.status} ${r.text}`);
  const setCookie = r.headers.get('set-cookie') || '';
  const m = /rookery_session=([^;]*)/.exec(setCookie);
  assert.ok(m, `login must set the rookery_session cookie, got: ${setCookie}`);
  return {
    username: r.json.username,
    role: r.json.role,
    token: r.json.token,
    csrf: r.json.csrf_token,
    cookie: `rookery_session=${m[1]}`,
    setCookie,
  };
}

const sessions = new Map();
/** A cached bearer session per role name ('admin' | 'operator' | 'viewer'). */
export async function as(role) {
  if (!sessions.has(role)) sessions.set(role, await login(env[role]));
  return sessions.get(role);
}

/** Bearer-authenticated shortcuts. */
export async function apiAs(role, method, path, body) {
  const s = await as(role);
  return call(method, path, { token: s.token, body });
}

/**
 * A request through node:http (for a chosen local address, odd headers or bodies).
 * Returns { status, headers, text, json }.
 */
export function rawRequest({ method = 'GET', path, headers = {}, body, localAddress }) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: env.httpPort, method, path, headers, localAddress, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Writes `head` (request line + headers) on a raw socket and, unless the server answers within
 * `waitMs`, then `rest`; resolves with the status code and text of whatever the server sent
 * before closing (or after `timeoutMs`).
 */
export function rawExchange(head, rest = null, { waitMs = 1500, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: env.httpPort });
    let data = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(restTimer);
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, text: data });
    };
    socket.on('data', (c) => {
      data += c.toString('latin1');
      // A full response (headers and a Content-Length body) is enough.
      const end = data.indexOf('\r\n\r\n');
      if (end >= 0) {
        const len = /content-length:\s*(\d+)/i.exec(data.slice(0, end));
        if (len && data.length >= end + 4 + Number(len[1])) finish();
      }
    });
    socket.on('error', (e) => (data ? finish() : reject(e)));
    socket.on('close', finish);
    socket.write(head);
    const restTimer = setTimeout(() => {
      if (rest && !done) socket.write(rest);
    }, waitMs);
    const timer = setTimeout(finish, timeoutMs);
  });
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function eventually(fn, { timeoutMs = 8000, intervalMs = 150, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A unique short name for rooms and players made by one test. */
export function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}
