import { api, can, session } from '../api.js';
import { h, replace, field, option, dl, table, fmtTime, fmtRelative, fmtNumber, badge } from '../dom.js';
import { pageHeader, card, errorBox, busy, toast, confirmDialog, loading } from '../ui.js';
import { playerStatus } from './players.js';

const DURATIONS = [
  ['900', '15 minutes'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
  ['31536000', '1 year'],
  ['custom', 'Until a date…'],
];

/** "YYYY-MM-DDTHH:MM" in local time, for <input type=datetime-local>. */
function localInputValue(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function renderPlayer(ctx) {
  const id = ctx.params[0];
  const err = errorBox();
  const header = pageHeader(`Player ${id}`);
  const info = h('div', {}, loading());
  const statsHost = h('div');
  const matches = h('div');
  const actionsHost = h('div', { class: 'actions-grid' });
  const body = h(
    'div',
    {},
    h('div', { class: 'grid-2' }, card('Player', info), card('Statistics', statsHost)),
    card('Recent matches', matches),
    actionsHost,
  );
  ctx.root.append(h('p', { class: 'breadcrumb' }, h('a', { href: '#/players', text: '← Players' })), header, err, body);

  let player = null;
  let lastJson = '';
  async function load() {
    try {
      const p = await api.player(id);
      err.clear();
      const json = JSON.stringify(p);
      if (json === lastJson) return;
      lastJson = json;
      const first = !player;
      player = p;
      render();
      if (first) renderActions();
      else updateActions();
    } catch (e) {
      if (e.status === 404 && !player) {
        replace(body, card(null, h('p', { text: `There is no player ${id}. ` }, h('a', { href: '#/players', text: 'Search players' }))));
      }
      err.show(e);
    }
  }

  function render() {
    const p = player;
    const now = Date.now();
    replace(header.querySelector('h1'), p.display_name || p.username || `Player ${p.id}`, h('span', { class: 'title-sub', text: ` · #${p.id}` }));
    replace(
      info,
      dl([
        ['Id', String(p.id)],
        ['Display name', p.display_name || '—'],
        ['Username', p.username || (p.guest ? '(guest)' : '—')],
        ['Status', h('span', { class: 'badges', 'data-testid': 'player-status' }, playerStatus(p))],
        ['In room', p.room_id ? h('a', { href: `#/rooms/${p.room_id}`, text: `room ${p.room_id}` }) : '—'],
        [
          'Ban',
          p.banned
            ? h('span', {}, badge('banned', 'danger'), ` until ${fmtTime(p.banned_until_ms)} (${fmtRelative(p.banned_until_ms, now)})`, p.ban_reason ? h('div', { class: 'muted', text: `Reason: ${p.ban_reason}` }) : null)
            : 'not banned',
        ],
      ]),
    );
    replace(
      statsHost,
      dl([
        ['Games played', fmtNumber(p.games_played)],
        ['Total score', fmtNumber(p.total_score)],
        ['Best score', fmtNumber(p.best_score)],
        ['Last played', p.last_played_ms ? `${fmtTime(p.last_played_ms)} (${fmtRelative(p.last_played_ms, now)})` : 'never'],
      ]),
    );
    replace(
      matches,
      table(
        [
          { label: 'Room', render: (m) => `${m.room_type} #${m.room_id}` },
          { label: 'Score', class: 'num', render: (m) => fmtNumber(m.score) },
          { label: 'Started', render: (m) => fmtTime(m.started_ms) },
          { label: 'Ended', render: (m) => fmtTime(m.ended_ms) },
        ],
        p.recent_matches || [],
        { label: 'Recent matches', empty: 'No finished matches yet.' },
      ),
    );
  }

  let kickBtn = null;
  let unbanCard = null;
  function updateActions() {
    if (kickBtn) {
      kickBtn.disabled = !player.online;
      kickBtn.title = player.online ? '' : 'The player is not online.';
    }
    if (unbanCard) unbanCard.hidden = !player.banned;
  }

  function renderActions() {
    if (!can('operator')) {
      replace(actionsHost, card('Actions', h('p', { class: 'muted', text: `Your role (${session.user?.role}) can view players but not act on them.` })));
      return;
    }
    const name = () => player.display_name || `player ${player.id}`;

    // Kick
    const kickReason = h('input', { name: 'reason', type: 'text', maxlength: '200', placeholder: 'kicked by an operator' });
    kickBtn = h('button', { type: 'submit', class: 'btn btn-danger', text: 'Kick…' });
    const kErr = errorBox();
    const kForm = h(
      'form',
      {
        class: 'stack-form',
        'aria-label': 'Kick player',
        onsubmit: async (e) => {
          e.preventDefault();
          kErr.clear();
          const reason = kickReason.value.trim();
          const ok = await confirmDialog({
            title: `Kick ${name()}?`,
            body: [
              h('p', { text: 'Their connection is closed now and their seat is released. They can log in again.' }),
              reason ? h('p', {}, 'Reason: ', h('q', { text: reason })) : null,
            ],
            confirmLabel: 'Kick',
          });
          if (!ok) return;
          try {
            await busy(kickBtn, () => api.playerAction(id, 'kick', reason ? { reason } : {}));
            toast(`${name()} was kicked.`);
            kickReason.value = '';
            await load();
          } catch (e2) {
            kErr.show(e2);
          }
        },
      },
      field('Reason', kickReason, 'Optional; at most 200 characters.'),
      kErr,
      h('div', {}, kickBtn),
    );

    // Ban
    const duration = h('select', { name: 'duration' }, DURATIONS.map(([v, l]) => option(v, l, v === '86400')));
    const until = h('input', { name: 'until', type: 'datetime-local', value: localInputValue(Date.now() + 86400000) });
    const untilField = field('Banned until (local time)', until);
    untilField.hidden = true;
    duration.addEventListener('change', () => {
      untilField.hidden = duration.value !== 'custom';
    });
    const banReason = h('input', { name: 'reason', type: 'text', maxlength: '200', placeholder: 'banned by an operator' });
    const banBtn = h('button', { type: 'submit', class: 'btn btn-danger', text: 'Ban…' });
    const bErr = errorBox();
    const bForm = h(
      'form',
      {
        class: 'stack-form',
        'aria-label': 'Ban player',
        onsubmit: async (e) => {
          e.preventDefault();
          bErr.clear();
          const reason = banReason.value.trim();
          let body;
          let endMs;
          if (duration.value === 'custom') {
            endMs = until.value ? new Date(until.value).getTime() : NaN;
            if (!Number.isFinite(endMs) || endMs <= Date.now()) {
              bErr.show('Pick an end date and time in the future.');
              until.focus();
              return;
            }
            body = { until_ms: endMs };
          } else {
            const secs = Number(duration.value);
            endMs = Date.now() + secs * 1000;
            body = { duration_s: secs };
          }
          if (reason) body.reason = reason;
          const label = duration.value === 'custom' ? `until ${fmtTime(endMs)}` : `for ${duration.selectedOptions[0].textContent} (until ${fmtTime(endMs)})`;
          const ok = await confirmDialog({
            title: `Ban ${name()}?`,
            body: [
              h('p', { text: `They will be disconnected now and refused at login ${label}.` }),
              reason ? h('p', {}, 'Reason: ', h('q', { text: reason })) : null,
            ],
            confirmLabel: 'Ban',
          });
          if (!ok) return;
          try {
            await busy(banBtn, () => api.playerAction(id, 'ban', body));
            toast(`${name()} is banned ${label}.`);
            banReason.value = '';
            await load();
          } catch (e2) {
            bErr.show(e2);
          }
        },
      },
      field('Duration', duration),
      untilField,
      field('Reason', banReason, 'Optional; at most 200 characters.'),
      bErr,
      h('div', {}, banBtn),
    );

    // Unban
    const unbanBtn = h('button', { type: 'button', class: 'btn', text: 'Unban' });
    const uErr = errorBox();
    unbanBtn.addEventListener('click', async () => {
      uErr.clear();
      try {
        await busy(unbanBtn, () => api.playerAction(id, 'unban', {}));
        toast(`${name()} is no longer banned.`);
        await load();
      } catch (e) {
        uErr.show(e);
      }
    });
    unbanCard = card('Lift the ban', h('p', { class: 'muted small', text: 'They can log in again at once.' }), uErr, unbanBtn);

    replace(actionsHost, card('Kick', kForm), card('Ban', bForm), unbanCard);
    updateActions();
  }

  await load();
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, 3000);
  ctx.onCleanup(() => clearInterval(timer));
}
