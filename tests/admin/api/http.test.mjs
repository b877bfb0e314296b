// The side-port's unauthenticated endpoints (/metrics, /healthz, /readyz), the console's static
// files under /admin/, and the live overview stream (Server-Sent Events).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, call, as, eventually, uniqueName, rawExchange, rawRequest } from '../lib/env.mjs';
import { GameClient } from '../lib/game-client.mjs';

const clients = [];
after(() => {
  for (const c of clients) c.close();
});

/** Parses Prometheus text into [{ name, labels, value }]. */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[3] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

test('/metrics needs no auth and has the rookery_ and process_ series', async () => {
  const c = await GameClient.guest({ port: env.tcpPort, displayName: uniqueName('metric'), joinType: 'spelltraction' });
  clients.push(c);
  const r = await call('GET', '/metrics');
  assert.equal(r.status, 200, r.text.slice(0, 200));
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const samples = parseMetrics(r.text);
  const names = new Set(samples.map((s) => s.name));
  const required = [
    'rookery_connections_open',
    'rookery_connections_accepted_total',
    'rookery_connections_closed_total',
    'rookery_players_logged_in',
    'rookery_rooms',
    'rookery_room_members',
    'rookery_messages_in_total',
    'rookery_messages_out_total',
    'rookery_bytes_in_total',
    'rookery_bytes_out_total',
    'rookery_store_queue_depth',
    'rookery_store_errors_total',
    'rookery_admin_actions_total',
    'rookery_build_info',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'process_open_fds',
    'process_max_fds',
    'process_start_time_seconds',
  ];
  for (const n of required) assert.ok(names.has(n), `missing ${n}`);
  for (const hist of ['rookery_tick_duration_seconds', 'rookery_tick_lag_seconds', 'rookery_input_to_state_seconds', 'rookery_store_commit_duration_seconds']) {
    assert.ok(names.has(`${hist}_bucket`) && names.has(`${hist}_count`) && names.has(`${hist}_sum`), `histogram ${hist}`);
  }
  assert.match(r.text, /# TYPE rookery_connections_open gauge/);
  // With a TCP client connected and in a room the values are sensible.
  const tcpOpen = samples.find((s) => s.name === 'rookery_connections_open' && s.labels.transport === 'tcp');
  assert.ok(tcpOpen && tcpOpen.value >= 1, `tcp connections open: ${JSON.stringify(tcpOpen)}`);
  const loggedIn = samples.find((s) => s.name === 'rookery_players_logged_in');
  assert.ok(loggedIn.value >= 1);
  const rooms = samples.filter((s) => s.name === 'rookery_rooms' && s.labels.type === 'spelltraction');
  assert.ok(rooms.reduce((a, s) => a + s.value, 0) >= 1, 'a spelltraction room is counted');
  const build = samples.find((s) => s.name === 'rookery_build_info');
  assert.ok(build.labels.version, 'build_info has a version label');
  assert.ok(samples.find((s) => s.name === 'process_resident_memory_bytes').value > 1e6);
  for (const s of samples) assert.ok(!Number.isNaN(s.value), `${s.name} is a number`);
});

test('/healthz and /readyz answer 200 without auth', async () => {
  const h = await call('GET', '/healthz');
  assert.equal(h.status, 200, h.text);
  const r = await call('GET', '/readyz');
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /ready/);
});

test('the console is served under /admin/ with its bundled assets and nothing external', async () => {
  const root = await call('GET', '/');
  assert.ok([301, 302, 303, 307, 308].includes(root.status), `/ redirects: ${root.status}`);
  assert.match(root.headers.get('location') || '', /\/admin\/$/);
  const index = await call('GET', '/admin/');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /text\/html/);
  const assets = [...index.text.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `assets: ${assets}`);
  for (const a of assets) {
    const r = await call('GET', `/admin/${a}`);
    assert.equal(r.status, 200, a);
    assert.match(r.headers.get('content-type'), a.endsWith('.js') ? /javascript/ : /text\/css/);
    // No CDN, no web fonts: nothing that makes the browser fetch from elsewhere.
    assert.doesNotMatch(r.text, /@import\s+url\(|url\(\s*['"]?https?:|fonts\.googleapis|cdn\.jsdelivr|unpkg\.com/i, a);
    if (a.endsWith('.js')) assert.match(r.text, /uplot/i, 'uPlot is bundled');
  }
  assert.doesNotMatch(index.text, /(src|href)="https?:/i, 'index.html loads nothing external');
  const missing = await call('GET', '/admin/no-such-file.js');
  assert.equal(missing.status, 404);
  // A raw request (fetch would normalise the dots away) must not climb out of the folder.
  const climb = await rawExchange('GET /admin/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.ok([400, 404].includes(climb.status), `path traversal refused: ${climb.text.slice(0, 200)}`);
  assert.doesNotMatch(climb.text, /root:/);
});

test('the live stream sends an overview JSON about once a second', async () => {
  const s = await as('viewer');
  const ac = new AbortController();
  const res = await fetch(`${env.http}/api/v1/stream`, { headers: { authorization: `Bearer ${s.token}` }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  const events = [];
  const started = Date.now();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    while (events.length < 3 && Date.now() - started < 8000) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
        if (data) events.push({ at: Date.now(), o: JSON.parse(data) });
      }
    }
  } finally {
    ac.abort();
  }
  assert.equal(events.length, 3, 'three events within 8 s');
  for (const { o } of events) {
    for (const k of ['uptime_s', 'connections', 'players_online', 'rooms', 'messages_in_per_s', 'messages_out_per_s', 'tick_p99_ms', 'tick_lag_p99_ms', 'tick_overruns', 'tick_window_s', 'time_ms']) {
      assert.ok(k in o, `overview has ${k}`);
    }
  }
  const gap = events[2].at - events[1].at;
  assert.ok(gap > 500 && gap < 2500, `about a second apart: ${gap} ms`);
});

test('the overview counts a connected client', async () => {
  const c = await GameClient.guest({ port: env.tcpPort, displayName: uniqueName('ov') });
  clients.push(c);
  const o = await eventually(async () => {
    const r = await call('GET', '/api/v1/overview', { token: (await as('viewer')).token });
    return r.json.connections.total >= 1 && r.json.players_online >= 1 && r.json;
  });
  assert.equal(o.draining, false);
  assert.ok(o.connections.tcp >= 1);
  assert.ok(o.shards >= 1);
  assert.equal(typeof o.version, 'string');
});

test('password checks do not hold up /healthz and /metrics (the side-port thread never waits)', async () => {
  // 40 wrong-password logins for 40 names from 40 addresses (so the per-user and per-address
  // backoff lets each through): each costs one Argon2id verify on the store's KDF pool (an
  // unknown name is checked against a dummy hash), hundreds of milliseconds in all.
  const started = Date.now();
  const logins = [];
  for (let i = 0; i < 40; i += 1) {
    logins.push(
      rawRequest({
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `nobody-${i}`, password: `wrong-password-${i}` }),
        localAddress: `127.0.0.${100 + i}`,
      }).then((r) => ({ status: r.status, at: Date.now() - started })),
    );
  }
  await new Promise((r) => setTimeout(r, 20)); // the logins are queued now
  const health = await rawRequest({ path: '/healthz' }).then((r) => ({ status: r.status, at: Date.now() - started }));
  const metrics = await rawRequest({ path: '/metrics' }).then((r) => ({ status: r.status, at: Date.now() - started }));
  const done = await Promise.all(logins);
  for (const l of done) assert.equal(l.status, 401);
  const last = Math.max(...done.map((l) => l.at));
  assert.equal(health.status, 200);
  assert.equal(metrics.status, 200);
  // Health and metrics answered while password checks were still running, not after them.
  assert.ok(health.at < last && metrics.at < last, `healthz at ${health.at} ms, metrics at ${metrics.at} ms, last login at ${last} ms`);
});
