import { api, can } from '../api.js';
import { h, replace, field, option, table, fmtTime, fmtRelative, stateBadge } from '../dom.js';
import { live } from '../live.js';
import { pageHeader, card, errorBox, busy, toast } from '../ui.js';

const PAGE_SIZES = [10, 25, 50, 100];
const KNOWN_TYPES = ['spelltraction', 'relay'];

function roomTypes() {
  const types = new Set(KNOWN_TYPES);
  for (const t of Object.keys(live.latest?.room_types || {})) types.add(t);
  return [...types].sort();
}

export async function renderRooms(ctx) {
  const state = {
    type: ctx.query.get('type') || '',
    state: ctx.query.get('state') || '',
    q: ctx.query.get('q') || '',
    sort: ctx.query.get('sort') || 'members',
    order: ctx.query.get('order') || 'desc',
    offset: Math.max(0, Number(ctx.query.get('offset')) || 0),
    limit: PAGE_SIZES.includes(Number(ctx.query.get('limit'))) ? Number(ctx.query.get('limit')) : 25,
  };
  const err = errorBox();

  // --- Filters (a form: Enter applies) ---
  const typeSel = h('select', { name: 'type' }, option('', 'All types', !state.type), roomTypes().map((t) => option(t, t, t === state.type)));
  const stateSel = h(
    'select',
    { name: 'state' },
    option('', 'Any state', !state.state),
    ['open', 'locked', 'closing'].map((s) => option(s, s, s === state.state)),
  );
  const qInput = h('input', { name: 'q', type: 'search', value: state.q, placeholder: 'name or exact id', autocomplete: 'off' });
  const sortSel = h(
    'select',
    { name: 'sort' },
    [['members', 'Members'], ['id', 'Id'], ['created', 'Created']].map(([v, l]) => option(v, l, v === state.sort)),
  );
  const orderSel = h('select', { name: 'order' }, option('desc', 'Descending', state.order !== 'asc'), option('asc', 'Ascending', state.order === 'asc'));
  const limitSel = h('select', { name: 'limit' }, PAGE_SIZES.map((n) => option(String(n), `${n} per page`, n === state.limit)));
  const filterForm = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter rooms',
      onsubmit: (e) => {
        e.preventDefault();
        Object.assign(state, {
          type: typeSel.value,
          state: stateSel.value,
          q: qInput.value.trim(),
          sort: sortSel.value,
          order: orderSel.value,
          limit: Number(limitSel.value),
          offset: 0,
        });
        load(true);
      },
    },
    field('Search', qInput),
    field('Type', typeSel),
    field('State', stateSel),
    field('Sort by', sortSel),
    field('Order', orderSel),
    field('Page size', limitSel),
    h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn btn-primary', text: 'Apply' })),
  );
  for (const sel of [typeSel, stateSel, sortSel, orderSel, limitSel]) sel.addEventListener('change', () => filterForm.requestSubmit());

  const tableHost = h('div', { class: 'table-host', 'aria-live': 'off' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Rooms pages' });
  const summary = h('p', { class: 'muted small', role: 'status' });
  const auto = h('input', { type: 'checkbox', checked: true, id: 'rooms-auto' });
  const refreshBtn = h('button', { type: 'button', class: 'btn', text: 'Refresh', onclick: () => load(true) });

  ctx.root.append(
    pageHeader('Rooms', h('label', { class: 'check', for: 'rooms-auto' }, auto, ' Auto-refresh'), refreshBtn),
    card(null, filterForm),
    err,
    card(null, summary, tableHost, pager),
    can('operator') ? createRoomCard(ctx) : null,
  );

  let lastJson = '';
  let inFlight = false;
  async function load(force = false) {
    if (inFlight) return;
    inFlight = true;
    ctx.setQuery({
      type: state.type,
      state: state.state,
      q: state.q,
      sort: state.sort === 'members' ? '' : state.sort,
      order: state.order === 'desc' ? '' : state.order,
      offset: state.offset || '',
      limit: state.limit === 25 ? '' : state.limit,
    });
    try {
      const r = await api.rooms({
        type: state.type,
        state: state.state,
        q: state.q,
        sort: state.sort,
        order: state.order,
        offset: state.offset,
        limit: state.limit,
      });
      err.clear();
      const json = JSON.stringify(r);
      if (json !== lastJson || force) {
        lastJson = json;
        render(r);
      }
    } catch (e) {
      err.show(e);
    } finally {
      inFlight = false;
    }
  }

  function setSort(key) {
    if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
    else {
      state.sort = key;
      state.order = key === 'id' ? 'asc' : 'desc';
    }
    sortSel.value = state.sort;
    orderSel.value = state.order;
    state.offset = 0;
    load(true);
  }

  function render(r) {
    const focusedKey = document.activeElement?.dataset?.focusKey;
    const now = Date.now();
    replace(
      tableHost,
      table(
        [
          // A room on another node is inspected and managed from that node's console.
          { label: 'Id', sortKey: 'id', class: 'num', render: (x) => (x.node ? String(x.id) : h('a', { href: `#/rooms/${x.id}`, 'data-focus-key': `room-${x.id}`, text: String(x.id) })) },
          { label: 'Name', render: (x) => (x.node ? x.name || '(unnamed)' : h('a', { href: `#/rooms/${x.id}`, text: x.name || '(unnamed)' })) },
          { label: 'Type', render: (x) => x.type },
          { label: 'State', render: (x) => stateBadge(x.state) },
          { label: 'Members', sortKey: 'members', class: 'num', render: (x) => `${x.members} / ${x.max_players}` },
          { label: 'Tick', class: 'num', render: (x) => `${x.tick_hz} Hz` },
          { label: 'Node', render: (x) => (x.node ? h('code', { text: x.node }) : 'this one') },
          { label: 'Shard', class: 'num', render: (x) => (x.node ? '' : String(x.shard)) },
          { label: 'Created', sortKey: 'created', render: (x) => h('time', { datetime: new Date(x.created_ms).toISOString(), title: fmtTime(x.created_ms), text: fmtRelative(x.created_ms, now) }) },
        ],
        r.rooms || [],
        {
          label: 'Rooms',
          sort: state.sort,
          order: state.order,
          onSort: setSort,
          empty: state.q || state.type || state.state ? 'No rooms match these filters.' : 'No rooms yet: they appear when players join.',
          rowProps: (x) => ({ 'data-room-id': x.id }),
        },
      ),
    );
    if (focusedKey) tableHost.querySelector(`[data-focus-key="${focusedKey}"]`)?.focus();
    const total = r.total ?? 0;
    const from = total === 0 ? 0 : r.offset + 1;
    const to = Math.min(total, r.offset + (r.rooms?.length || 0));
    summary.textContent = `Showing ${from}–${to} of ${total} room${total === 1 ? '' : 's'}.`;
    const prev = h('button', {
      type: 'button',
      class: 'btn',
      disabled: r.offset <= 0,
      text: '← Previous',
      onclick: () => {
        state.offset = Math.max(0, state.offset - state.limit);
        load(true);
      },
    });
    const next = h('button', {
      type: 'button',
      class: 'btn',
      disabled: r.offset + state.limit >= total,
      text: 'Next →',
      onclick: () => {
        state.offset += state.limit;
        load(true);
      },
    });
    const pages = Math.max(1, Math.ceil(total / state.limit));
    replace(pager, prev, h('span', { class: 'muted', text: `Page ${Math.floor(r.offset / state.limit) + 1} of ${pages}` }), next);
  }

  await load(true);
  const timer = setInterval(() => {
    if (auto.checked && !document.hidden) load();
  }, 2000);
  ctx.onCleanup(() => clearInterval(timer));
}

function createRoomCard(ctx) {
  const type = h('select', { name: 'type', required: true }, roomTypes().map((t) => option(t, t)));
  const name = h('input', { name: 'name', type: 'text', maxlength: '64', placeholder: 'optional label' });
  const max = h('input', { name: 'max_players', type: 'number', min: '0', step: '1', value: '0', inputmode: 'numeric' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Create room' });
  const err = errorBox();
  const form = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: async (e) => {
        e.preventDefault();
        err.clear();
        const n = Number(max.value || 0);
        if (!Number.isInteger(n) || n < 0) {
          err.show('Max players must be a whole number (0 uses the type’s default).');
          max.focus();
          return;
        }
        try {
          const room = await busy(submit, () => api.createRoom({ type: type.value, name: name.value.trim(), max_players: n }));
          toast(`Room ${room.id} created.`);
          ctx.navigate(`#/rooms/${room.id}`);
        } catch (e2) {
          err.show(e2);
        }
      },
    },
    field('Type', type),
    field('Name', name),
    field('Max players', max, '0 = the type’s default'),
    h('div', { class: 'field field-button' }, submit),
  );
  return card('Create a room', form, err);
}
