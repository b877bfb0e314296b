import { api } from '../api.js';
import { h, replace, field, option, table, fmtNumber, fmtTime, badge } from '../dom.js';
import { pageHeader, card, errorBox, busy, loading } from '../ui.js';

export function playerStatus(p) {
  return [
    // On a cluster, `node` names the other node the player is online on ("" : this one).
    p.online ? badge(p.node ? `online on ${p.node}` : 'online', 'ok') : badge('offline', 'neutral'),
    p.banned ? badge('banned', 'danger') : null,
    p.guest ? badge('guest', 'neutral') : null,
  ];
}

export async function renderPlayers(ctx) {
  let q = ctx.query.get('q') || '';
  let limit = [25, 50, 100, 200].includes(Number(ctx.query.get('limit'))) ? Number(ctx.query.get('limit')) : 50;
  const err = errorBox();
  const input = h('input', { name: 'q', type: 'search', value: q, maxlength: '64', placeholder: 'name prefix or player id', autocomplete: 'off' });
  const limitSel = h('select', { name: 'limit' }, [25, 50, 100, 200].map((n) => option(String(n), `${n} results`, n === limit)));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Search' });
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Search players',
      onsubmit: (e) => {
        e.preventDefault();
        q = input.value.trim();
        limit = Number(limitSel.value);
        load();
      },
    },
    field('Player name or id', input, 'Empty lists the most recently seen players.'),
    field('Show', limitSel),
    h('div', { class: 'field field-button' }, submit),
  );
  limitSel.addEventListener('change', () => form.requestSubmit());
  const results = h('div', {}, loading());
  const summary = h('p', { class: 'muted small', role: 'status' });
  ctx.root.append(pageHeader('Players'), card(null, form), err, card(null, summary, results));

  async function load() {
    ctx.setQuery({ q, limit: limit === 50 ? '' : limit });
    err.clear();
    try {
      const r = await busy(submit, () => api.players({ q, limit }));
      const list = r.players || [];
      summary.textContent = `${list.length} player${list.length === 1 ? '' : 's'}${q ? ` matching “${q}”` : ', most recently seen first'}.`;
      replace(
        results,
        table(
          [
            { label: 'Id', class: 'num', render: (p) => h('a', { href: `#/players/${p.id}`, text: String(p.id) }) },
            { label: 'Name', render: (p) => h('a', { href: `#/players/${p.id}`, text: p.display_name || p.username || `player ${p.id}` }) },
            { label: 'Username', render: (p) => p.username || '—' },
            { label: 'Status', render: (p) => h('span', { class: 'badges' }, playerStatus(p)) },
            { label: 'Games', class: 'num', render: (p) => fmtNumber(p.games_played) },
            { label: 'Total score', class: 'num', render: (p) => fmtNumber(p.total_score) },
            { label: 'Best', class: 'num', render: (p) => fmtNumber(p.best_score) },
            { label: 'Last played', render: (p) => fmtTime(p.last_played_ms) },
          ],
          list,
          { label: 'Players', empty: q ? 'No player matches.' : 'No players yet.', rowProps: (p) => ({ 'data-player-id': p.id }) },
        ),
      );
    } catch (e) {
      results.replaceChildren();
      err.show(e);
    }
  }
  await load();
}
