import { api, can, session } from '../api.js';
import { h, replace, field, option, table, fmtTime, dl, fmtDuration, badge } from '../dom.js';
import { live } from '../live.js';
import { pageHeader, card, errorBox, busy, toast, confirmDialog, loading } from '../ui.js';

export async function renderServer(ctx) {
  const err = errorBox();
  const statusHost = h('div');
  const configHost = h('div', {}, loading());
  const filter = h('input', { type: 'search', placeholder: 'filter keys', autocomplete: 'off' });
  ctx.root.append(
    pageHeader('Server'),
    err,
    h('div', { class: 'grid-2' }, card('Status', statusHost), can('admin') ? drainCard() : card('Drain', h('p', { class: 'muted', text: `Only admins may drain the server (your role: ${session.user?.role}).` }))),
    card('Effective configuration', h('p', { class: 'muted small', text: 'Defaults < config file < ROOKERY_* environment < flags. Secrets are redacted.' }), h('div', { class: 'filters' }, field('Filter', filter)), configHost),
    can('admin') ? adminUsersCard() : null,
  );

  function showStatus(o) {
    if (!o) return;
    replace(
      statusHost,
      dl([
        ['State', o.draining ? badge('draining', 'danger') : badge('serving', 'ok')],
        ['Version', `${o.version || '?'}${o.commit ? ` (${o.commit})` : ''}`],
        ['Uptime', fmtDuration(o.uptime_s)],
        ['Shards', String(o.shards ?? '?')],
        ['Connections', `${o.connections?.total ?? 0} of ${o.connections?.max ?? '?'}`],
      ]),
    );
  }
  showStatus(live.latest);
  ctx.onCleanup(live.subscribe((kind, v) => kind === 'sample' && showStatus(v)));

  let rows = [];
  function renderConfig() {
    const f = filter.value.trim().toLowerCase();
    const shown = rows.filter(([k, v]) => !f || k.toLowerCase().includes(f) || String(v).toLowerCase().includes(f));
    replace(
      configHost,
      table(
        [
          { label: 'Key', render: ([k]) => h('code', { text: k }) },
          { label: 'Value', class: 'wrap', render: ([, v]) => (v === '<redacted>' ? badge('redacted', 'warn') : h('code', { text: v === '' ? '""' : String(v) })) },
        ],
        shown,
        { label: 'Configuration', empty: 'No key matches.' },
      ),
    );
  }
  filter.addEventListener('input', renderConfig);
  try {
    const r = await api.config();
    rows = Object.entries(r.config || {}).sort(([a], [b]) => a.localeCompare(b));
    renderConfig();
  } catch (e) {
    configHost.replaceChildren();
    err.show(e);
  }
}

function drainCard() {
  const btn = h('button', { type: 'button', class: 'btn btn-danger', text: 'Drain server…' });
  const err = errorBox();
  btn.addEventListener('click', async () => {
    err.clear();
    const ok = await confirmDialog({
      title: 'Drain the server?',
      body: [
        h('p', { text: 'Every player is told the server is shutting down, games are saved, no new rooms or joins are accepted, and the process exits (as on SIGTERM).' }),
        h('p', { text: 'It has to be started again by hand or by its supervisor.' }),
      ],
      confirmLabel: 'Drain and stop',
    });
    if (!ok) return;
    try {
      await busy(btn, () => api.drain(), 'Draining…');
      toast('Drain started: the server will stop shortly.', 'info');
      btn.disabled = true;
    } catch (e) {
      err.show(e);
    }
  });
  return card('Drain', h('p', { class: 'muted small', text: 'Graceful stop for maintenance: /readyz answers 503 while it drains.' }), err, btn);
}

function adminUsersCard() {
  const listHost = h('div', {}, loading());
  const err = errorBox();
  async function load() {
    try {
      const r = await api.adminUsers();
      replace(
        listHost,
        table(
          [
            { label: 'User', render: (u) => u.username },
            { label: 'Role', render: (u) => badge(u.role, u.role === 'admin' ? 'accent' : u.role === 'operator' ? 'ok' : 'neutral') },
            { label: 'Created', render: (u) => fmtTime(u.created_ms) },
            { label: 'Last login', render: (u) => (u.last_login_ms ? fmtTime(u.last_login_ms) : 'never') },
          ],
          r.users || [],
          { label: 'Admin users' },
        ),
      );
    } catch (e) {
      err.show(e);
    }
  }
  const name = h('input', { name: 'username', type: 'text', required: true, minlength: '3', maxlength: '32', pattern: '[A-Za-z0-9_.\\-]+', autocomplete: 'off' });
  const pass = h('input', { name: 'password', type: 'password', required: true, minlength: '8', maxlength: '256', autocomplete: 'new-password' });
  const role = h('select', { name: 'role' }, option('viewer', 'viewer (read only)'), option('operator', 'operator (rooms and players)'), option('admin', 'admin (everything)'));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Add user' });
  const form = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: async (e) => {
        e.preventDefault();
        err.clear();
        try {
          await busy(submit, () => api.createAdminUser({ username: name.value.trim(), password: pass.value, role: role.value }));
          toast(`Admin user ${name.value.trim()} added.`);
          name.value = '';
          pass.value = '';
          await load();
        } catch (e2) {
          err.show(e2);
        }
      },
    },
    field('Username', name, '3–32 of A–Z a–z 0–9 _ . -'),
    field('Password', pass, 'At least 8 characters'),
    field('Role', role),
    h('div', { class: 'field field-button' }, submit),
  );
  load();
  return card('Admin users', listHost, h('h3', { class: 'sub-title', text: 'Add an admin user' }), form, err);
}
