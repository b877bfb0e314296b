import { api, can, session } from '../api.js';
import { h, replace, field, dl, table, fmtTime, fmtRelative, fmtNumber, stateBadge, badge } from '../dom.js';
import { pageHeader, card, errorBox, busy, toast, confirmDialog, loading } from '../ui.js';

export async function renderRoom(ctx) {
  const id = ctx.params[0];
  const err = errorBox();
  const title = pageHeader(`Room ${id}`);
  const info = h('div', {}, loading());
  const members = h('div');
  const statsHost = h('div');
  const actionsHost = h('div', { class: 'actions-grid' });
  const gone = h('div', { class: 'banner banner-warn', role: 'status', hidden: true });
  const body = h(
    'div',
    {},
    h('div', { class: 'grid-2' }, card('Room', info), card('Tick statistics', statsHost)),
    card('Members', members),
    actionsHost,
  );
  ctx.root.append(h('p', { class: 'breadcrumb' }, h('a', { href: '#/rooms', text: '← Rooms' })), title, gone, err, body);

  let room = null;
  let lastJson = '';

  async function load() {
    try {
      const r = await api.room(id);
      err.clear();
      gone.hidden = true;
      const json = JSON.stringify(r);
      if (json === lastJson) return;
      lastJson = json;
      const first = !room;
      room = r;
      render();
      if (first) renderActions();
      else updateActions();
    } catch (e) {
      if (e.status === 404) {
        gone.textContent = room
          ? 'This room no longer exists: it was closed or disposed.'
          : `There is no room ${id}: it may have been closed, or emptied and disposed.`;
        gone.hidden = false;
        if (!room) body.replaceChildren();
        for (const b of actionsHost.querySelectorAll('button, input, textarea')) b.disabled = true;
      } else {
        err.show(e);
      }
    }
  }

  function render() {
    const now = Date.now();
    replace(
      title.querySelector('h1'),
      `Room ${room.id}`,
      room.name ? h('span', { class: 'title-sub', text: ` · ${room.name}` }) : null,
    );
    replace(
      info,
      dl([
        ['Id', String(room.id)],
        ['Name', room.name || '(unnamed)'],
        ['Type', room.type],
        ['State', stateBadge(room.state)],
        ['Members', `${room.members} / ${room.max_players}`],
        ['Tick rate', `${room.tick_hz} Hz`],
        ['Shard', String(room.shard)],
        ['Created', `${fmtTime(room.created_ms)} (${fmtRelative(room.created_ms, now)})`],
        ['Summary', typeof room.summary === 'string' ? room.summary || '—' : h('pre', { class: 'pre', text: JSON.stringify(room.summary, null, 2) })],
      ]),
    );
    const s = room.stats || {};
    replace(
      statsHost,
      dl([
        ['Ticks', fmtNumber(s.ticks)],
        ['Inputs', fmtNumber(s.inputs)],
        ['Inputs dropped', fmtNumber(s.inputs_dropped)],
        ['Inputs invalid', fmtNumber(s.inputs_invalid)],
        ['Last tick', `${fmtNumber((s.last_tick_us || 0) / 1000, 3)} ms`],
        ['Last tick lag', `${fmtNumber((s.last_lag_us || 0) / 1000, 3)} ms`],
      ]),
    );
    replace(
      members,
      table(
        [
          { label: 'Seat', class: 'num', render: (m) => String(m.seat) },
          { label: 'Player', render: (m) => h('a', { href: `#/players/${m.player_id}`, text: m.display_name || `player ${m.player_id}` }) },
          { label: 'Player id', class: 'num', render: (m) => String(m.player_id) },
          { label: 'Connection', render: (m) => (m.connected ? badge('connected', 'ok') : badge('seat held', 'warn')) },
          { label: 'Score', class: 'num', render: (m) => fmtNumber(m.score) },
          { label: 'Joined', render: (m) => h('time', { title: fmtTime(m.joined_ms), text: fmtRelative(m.joined_ms, now) }) },
        ],
        room.members_detail || [],
        { label: 'Members', empty: 'Nobody is in this room.' },
      ),
    );
  }

  let lockBtn = null;
  function updateActions() {
    if (!lockBtn) return;
    lockBtn.textContent = room.state === 'locked' ? 'Unlock room' : 'Lock room';
    lockBtn.disabled = room.state === 'closing';
  }

  function renderActions() {
    if (!can('operator')) {
      replace(actionsHost, card('Actions', h('p', { class: 'muted', text: `Your role (${session.user?.role}) can view rooms but not act on them.` })));
      return;
    }
    // Lock / unlock
    const lockErr = errorBox();
    lockBtn = h('button', {
      type: 'button',
      class: 'btn',
      onclick: async () => {
        lockErr.clear();
        const locking = room.state !== 'locked';
        try {
          await busy(lockBtn, () => api.roomAction(id, locking ? 'lock' : 'unlock', {}));
          toast(locking ? `Room ${id} locked: new joins are refused.` : `Room ${id} unlocked.`);
          await load();
        } catch (e) {
          lockErr.show(e);
        }
      },
    });
    updateActions();

    // Broadcast
    const message = h('textarea', { name: 'message', rows: '2', maxlength: '500', required: true, placeholder: 'Shown to every member as a notice' });
    const sendBtn = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Send broadcast' });
    const bErr = errorBox();
    const bForm = h(
      'form',
      {
        class: 'stack-form',
        onsubmit: async (e) => {
          e.preventDefault();
          bErr.clear();
          const text = message.value.trim();
          if (!text) {
            bErr.show('Write a message to send.');
            message.focus();
            return;
          }
          try {
            await busy(sendBtn, () => api.roomAction(id, 'broadcast', { message: text }));
            toast('Broadcast sent.');
            message.value = '';
          } catch (e2) {
            bErr.show(e2);
          }
        },
      },
      field('Message', message, 'Ctrl+Enter sends; at most 500 characters.'),
      bErr,
      h('div', {}, sendBtn),
    );
    message.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        bForm.requestSubmit();
      }
    });

    // Close
    const reason = h('input', { name: 'reason', type: 'text', maxlength: '200', required: true, placeholder: 'Told to every member' });
    const closeBtn = h('button', { type: 'submit', class: 'btn btn-danger', text: 'Close room…' });
    const cErr = errorBox();
    const cForm = h(
      'form',
      {
        class: 'stack-form',
        onsubmit: async (e) => {
          e.preventDefault();
          cErr.clear();
          const why = reason.value.trim();
          if (!why) {
            cErr.show('A reason is required: members see it.');
            reason.focus();
            return;
          }
          const ok = await confirmDialog({
            title: `Close room ${id}?`,
            body: [
              h('p', { text: `All ${room.members} member(s) will be removed with this reason:` }),
              h('blockquote', { text: why }),
              h('p', { text: 'This cannot be undone.' }),
            ],
            confirmLabel: 'Close room',
          });
          if (!ok) return;
          try {
            await busy(closeBtn, () => api.roomAction(id, 'close', { reason: why }));
            toast(`Room ${id} is closing.`);
            reason.value = '';
            await load();
          } catch (e2) {
            cErr.show(e2);
          }
        },
      },
      field('Reason', reason),
      cErr,
      h('div', {}, closeBtn),
    );

    replace(
      actionsHost,
      card('Lock', h('p', { class: 'muted small', text: 'A locked room keeps playing but refuses new joins.' }), lockErr, lockBtn),
      card('Broadcast a notice', bForm),
      card('Close the room', cForm),
    );
  }

  await load();
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, 2000);
  ctx.onCleanup(() => clearInterval(timer));
}
