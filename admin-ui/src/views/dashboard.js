import { api } from '../api.js';
import { h, replace, fmtDuration, fmtNumber, table, badge } from '../dom.js';
import { live } from '../live.js';
import { liveChart } from '../charts.js';
import { pageHeader, card, errorBox, loading } from '../ui.js';

const CHARTS = [
  {
    key: 'connections',
    title: 'Connections',
    series: [
      { label: 'total', value: (o) => o.connections?.total, color: '#2f6fdf' },
      { label: 'tcp', value: (o) => o.connections?.tcp, color: '#1f9d6b' },
      { label: 'ws', value: (o) => o.connections?.ws, color: '#a04bd6' },
    ],
  },
  {
    key: 'messages',
    title: 'Messages per second',
    digits: 1,
    series: [
      { label: 'in', value: (o) => o.messages_in_per_s, color: '#2f6fdf' },
      { label: 'out', value: (o) => o.messages_out_per_s, color: '#e0672b' },
    ],
  },
  {
    key: 'rooms',
    title: 'Rooms and players',
    series: [
      { label: 'rooms', value: (o) => o.rooms, color: '#1f9d6b' },
      { label: 'players online', value: (o) => o.players_online, color: '#2f6fdf' },
    ],
  },
  {
    key: 'tick',
    title: 'Tick p99, last minute',
    unit: 'ms',
    digits: 3,
    minMax: 0.1,
    series: [
      { label: 'duration', value: (o) => o.tick_p99_ms, color: '#e0672b' },
      { label: 'lag', value: (o) => o.tick_lag_p99_ms, color: '#7a4fd0' },
    ],
  },
];

function stat(label, value, sub) {
  return h('div', { class: 'stat card' }, h('div', { class: 'stat-label', text: label }), h('div', { class: 'stat-value' }, value), sub ? h('div', { class: 'stat-sub' }, sub) : null);
}

export async function renderDashboard(ctx) {
  const err = errorBox();
  const stats = h('div', { class: 'stats', 'aria-label': 'Current values' }, loading('Waiting for the live stream…'));
  const charts = CHARTS.map((spec) => liveChart(spec));
  const types = h('div');
  const streamNote = h('p', { class: 'muted small', role: 'status' });
  ctx.root.append(
    pageHeader('Dashboard'),
    err,
    stats,
    h('div', { class: 'charts' }, charts.map((c) => c.el)),
    card('Room types', types),
    streamNote,
  );

  function show(o) {
    if (!o) return;
    const c = o.connections || {};
    replace(
      stats,
      stat('Status', o.draining ? badge('draining', 'danger') : badge('serving', 'ok'), `${o.shards ?? '?'} shards${o.complete === false ? ' · partial snapshot' : ''}`),
      stat('Uptime', fmtDuration(o.uptime_s), `version ${o.version || '?'}${o.commit ? ` (${String(o.commit).slice(0, 10)})` : ''}`),
      stat('Connections', fmtNumber(c.total), `tcp ${fmtNumber(c.tcp)} · ws ${fmtNumber(c.ws)} · max ${fmtNumber(c.max)}`),
      stat('Players online', fmtNumber(o.players_online)),
      stat('Rooms', fmtNumber(o.rooms)),
      stat('Messages/s', `${fmtNumber(o.messages_in_per_s, 1)} in`, `${fmtNumber(o.messages_out_per_s, 1)} out`),
      stat(
        'Tick p99',
        `${fmtNumber(o.tick_p99_ms, 3)} ms`,
        `lag p99 ${fmtNumber(o.tick_lag_p99_ms, 1)} ms · ${fmtNumber(o.tick_overruns)} overruns · last ${fmtDuration(Math.round(o.tick_window_s ?? 0))}`,
      ),
      stat('Store queue', fmtNumber(o.store_queue_depth)),
    );
    const rows = Object.entries(o.room_types || {}).map(([type, t]) => ({ type, ...t }));
    replace(
      types,
      table(
        [
          { label: 'Type', render: (r) => h('a', { href: `#/rooms?type=${encodeURIComponent(r.type)}`, text: r.type }) },
          { label: 'Rooms', class: 'num', render: (r) => fmtNumber(r.rooms) },
          { label: 'Members', class: 'num', render: (r) => fmtNumber(r.members) },
          { label: 'Tick p99', class: 'num', render: (r) => `${fmtNumber(r.tick_p99_ms, 3)} ms` },
          { label: 'Lag p99', class: 'num', render: (r) => `${fmtNumber(r.tick_lag_p99_ms, 1)} ms` },
          { label: 'Overruns', class: 'num', render: (r) => fmtNumber(r.tick_overruns) },
          { label: 'Input→state p50 / p99', class: 'num', render: (r) => `${fmtNumber(r.input_to_state_p50_ms, 1)} / ${fmtNumber(r.input_to_state_p99_ms, 1)} ms` },
        ],
        rows,
        { label: 'Room types', empty: 'No room types reported yet.' },
      ),
    );
  }

  function redraw() {
    for (const c of charts) c.update(live.samples);
    show(live.latest);
    streamNote.textContent =
      live.status === 'live'
        ? `Live: updated every second · ${live.samples.length} samples (up to 10 minutes) kept while this tab is open.`
        : live.status === 'error'
          ? 'The live stream is offline; retrying…'
          : 'Connecting to the live stream…';
  }

  redraw();
  const unsubscribe = live.subscribe(() => redraw());
  // The stream's first sample normally arrives at once. If it does not, show the numbers from
  // one overview call (not added to the chart history: the server computes messages/s against
  // the previous overview it served, so an extra call would put a false dip in the charts).
  const fallback = setTimeout(async () => {
    if (live.latest) return;
    try {
      show(await api.overview());
    } catch (e) {
      err.show(e);
    }
  }, 2000);
  ctx.onCleanup(() => {
    clearTimeout(fallback);
    unsubscribe();
    for (const c of charts) c.destroy();
  });
}
