import { api } from '../api.js';
import { h, replace, option, table, fmtTime, badge } from '../dom.js';
import { pageHeader, card, errorBox, loading } from '../ui.js';

function targetLink(target) {
  const m = /^(room|player):(\d+)$/.exec(target || '');
  if (m) return h('a', { href: `#/${m[1]}s/${m[2]}`, text: target });
  return target || '—';
}

export async function renderAudit(ctx) {
  let limit = [25, 50, 100, 200].includes(Number(ctx.query.get('limit'))) ? Number(ctx.query.get('limit')) : 50;
  let before = Number(ctx.query.get('before')) || 0;
  const history = []; // cursors of the newer pages, for "Newer"
  const err = errorBox();
  const host = h('div', {}, loading());
  const pager = h('nav', { class: 'pager', 'aria-label': 'Audit log pages' });
  const summary = h('p', { class: 'muted small', role: 'status' });
  const limitSel = h('select', { name: 'limit' }, [25, 50, 100, 200].map((n) => option(String(n), `${n} per page`, n === limit)));
  limitSel.addEventListener('change', () => {
    limit = Number(limitSel.value);
    before = 0;
    history.length = 0;
    load();
  });
  const refresh = h('button', {
    type: 'button',
    class: 'btn',
    text: 'Newest',
    onclick: () => {
      before = 0;
      history.length = 0;
      load();
    },
  });
  limitSel.id = 'audit-limit';
  ctx.root.append(
    pageHeader('Audit log', h('label', { class: 'check', for: 'audit-limit', text: 'Page size' }), limitSel, refresh),
    h('p', { class: 'muted', text: 'Every mutating admin action, successful or not: who, when, what and on what. Newest first.' }),
    err,
    card(null, summary, host, pager),
  );

  async function load() {
    ctx.setQuery({ before: before || '', limit: limit === 50 ? '' : limit });
    try {
      const r = await api.audit({ limit, before: before || undefined });
      err.clear();
      const entries = r.entries || [];
      replace(
        host,
        table(
          [
            { label: 'When', render: (e) => h('time', { datetime: new Date(e.at_ms).toISOString(), text: fmtTime(e.at_ms) }) },
            { label: 'Who', render: (e) => e.actor },
            { label: 'Action', render: (e) => h('code', { text: e.action }) },
            { label: 'Target', render: (e) => targetLink(e.target) },
            { label: 'Detail', class: 'wrap', render: (e) => e.detail || '—' },
            { label: 'Result', render: (e) => (e.ok ? badge('ok', 'ok') : badge('failed', 'danger')) },
          ],
          entries,
          { label: 'Audit log', empty: before ? 'No older entries.' : 'No admin actions recorded yet.', rowProps: (e) => ({ 'data-audit-id': e.id }) },
        ),
      );
      summary.textContent = entries.length
        ? `Entries ${entries[0].id} to ${entries[entries.length - 1].id}${before ? '' : ' (newest)'}.`
        : 'No entries on this page.';
      const newer = h('button', {
        type: 'button',
        class: 'btn',
        disabled: !before,
        text: '← Newer',
        onclick: () => {
          before = history.pop() || 0;
          load();
        },
      });
      const older = h('button', {
        type: 'button',
        class: 'btn',
        disabled: entries.length < limit,
        text: 'Older →',
        onclick: () => {
          history.push(before);
          before = entries[entries.length - 1].id;
          load();
        },
      });
      replace(pager, newer, older);
    } catch (e) {
      host.replaceChildren();
      err.show(e);
    }
  }
  await load();
}
