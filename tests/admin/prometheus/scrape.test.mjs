// A real Prometheus (Debian's `prometheus`) scrapes a running rookery while game clients are
// connected; the assertions go through Prometheus' HTTP API, as an operator's queries would.
// Started by prometheus.sh, which passes the addresses in the environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GameClient } from '../lib/game-client.mjs';

const gamePort = Number(process.env.ROOKERY_TCP_PORT);
const prom = process.env.PROMETHEUS_URL;
const CLIENTS = 12;
const clients = [];

async function query(expr) {
  const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await r.json();
  assert.equal(body.status, 'success', `query ${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}

// Polls until `check(result)` holds, so scrape timing never makes the test flaky.
async function eventually(expr, check, what, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await query(expr);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`${what}: ${expr} never matched; last result ${JSON.stringify(last)}`);
}

const value = (result) => (result.length ? Number(result[0].value[1]) : NaN);

before(async () => {
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(await GameClient.guest({ port: gamePort, joinType: i % 2 ? 'relay' : 'spelltraction' }));
  }
});

after(() => {
  for (const c of clients) c.close();
});

test('the rookery target is up', async () => {
  await eventually('up{job="rookery"}', (r) => value(r) === 1, 'target up');
});

test('connections and players reflect the connected clients', async () => {
  await eventually('sum(rookery_connections_open)', (r) => value(r) === CLIENTS, 'open connections');
  await eventually('rookery_players_logged_in', (r) => value(r) === CLIENTS, 'players logged in');
  await eventually('sum(rookery_room_members)', (r) => value(r) === CLIENTS, 'room members');
  await eventually('sum by (type) (rookery_rooms{state="open"})', (r) => r.length === 2 && r.every((s) => Number(s.value[1]) >= 1), 'open rooms of both types');
});

test('traffic counters move', async () => {
  await eventually('sum(rate(rookery_messages_out_total[15s]))', (r) => value(r) > 0, 'messages out rate');
  await eventually('sum(rate(rookery_bytes_out_total[15s]))', (r) => value(r) > 0, 'bytes out rate');
  await eventually('sum(rookery_messages_in_total)', (r) => value(r) >= CLIENTS * 2, 'messages in');
});

test('tick histograms have samples and a sane p99', async () => {
  const r = await eventually(
    'histogram_quantile(0.99, sum by (le, type) (rate(rookery_tick_duration_seconds_bucket[15s])))',
    (res) => res.length === 2 && res.every((s) => Number.isFinite(Number(s.value[1]))),
    'tick p99 per type');
  for (const s of r) assert.ok(Number(s.value[1]) < 0.05, `tick p99 ${s.metric.type} = ${s.value[1]} s`);
});

test('input-to-state latency and tick overruns are exported per room type', async () => {
  // The relay room takes any payload: each relay client sends 5 inputs, a tick apart or more.
  const relay = clients.filter((_, i) => i % 2);
  for (let seq = 1; seq <= 5; seq++) {
    for (const c of relay) c.send('input', { seq, payload: Buffer.from([seq]) });
    await new Promise((r) => setTimeout(r, 100));
  }
  await eventually('sum(rookery_input_to_state_seconds_count{type="relay"})', (r) => value(r) >= relay.length * 5, 'inputs measured to their State');
  // Every input waited at most a tick (20 Hz: 50 ms) plus the tick's work on an idle server.
  await eventually(
    'histogram_quantile(0.99, sum by (le) (rookery_input_to_state_seconds_bucket{type="relay"}))',
    (r) => value(r) > 0 && value(r) <= 0.1,
    'input-to-state p99 within two ticks');
  await eventually('count(rookery_tick_overruns_total)', (r) => value(r) === 2, 'overrun counters for both types');
});

test('process metrics are exported', async () => {
  await eventually('process_open_fds', (r) => value(r) >= CLIENTS, 'open fds');
  await eventually('process_max_fds', (r) => value(r) > 1000, 'max fds');
  await eventually('process_resident_memory_bytes', (r) => value(r) > 1e6, 'resident memory');
  await eventually('process_cpu_seconds_total', (r) => value(r) > 0, 'cpu seconds');
  await eventually('time() - process_start_time_seconds', (r) => value(r) >= 0 && value(r) < 3600, 'start time');
  await eventually('rookery_build_info', (r) => r.length === 1 && r[0].metric.version !== undefined, 'build info');
});

test('the store is healthy', async () => {
  await eventually('rookery_store_errors_total', (r) => value(r) === 0, 'no store errors');
  await eventually('rookery_store_commit_duration_seconds_count', (r) => value(r) >= 1, 'store commits counted');
});
