// Small DOM and formatting helpers: no framework, just elements.

/**
 * Creates an element. `props`: attributes, plus `class`, `text`, `dataset`, `on*` handlers
 * (functions), and boolean/DOM properties (checked, disabled, value, hidden).
 * Children: nodes, strings, numbers, arrays of those, null/undefined/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let idCounter = 0;
/** A unique id for label/control pairs. */
export function uid(prefix = 'f') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled control: returns { wrap, control }. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid();
  const hintEl = hint ? h('span', { class: 'hint', id: `${control.id}-hint`, text: hint }) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control, hintEl);
  return wrap;
}

export function option(value, label, selected) {
  return h('option', { value, selected: selected || undefined, text: label });
}

const pad = (n) => String(n).padStart(2, '0');

/** "2026-01-31 14:05:09" in local time, or "—" for 0. */
export function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(Number(ms));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

/** "3d 4h", "5m 2s". */
export function fmtDuration(seconds) {
  let s = Math.max(0, Math.floor(Number(seconds) || 0));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** "5 minutes ago" / "in 2 days". */
export function fmtRelative(ms, now = Date.now()) {
  if (!ms) return '';
  const diff = (Number(ms) - now) / 1000;
  const abs = Math.abs(diff);
  const units = [
    [86400 * 365, 'year'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (abs >= size || size === 1) {
      const n = Math.max(1, Math.round(abs / size));
      const text = `${n} ${name}${n === 1 ? '' : 's'}`;
      return diff < 0 ? `${text} ago` : `in ${text}`;
    }
  }
  return '';
}

export function fmtNumber(n, digits = 0) {
  const v = Number(n);
  if (!Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A coloured pill for a state or flag. */
export function badge(text, kind = 'neutral') {
  return h('span', { class: `badge badge-${kind}`, text });
}

export function stateBadge(state) {
  const kind = { open: 'ok', locked: 'warn', closing: 'danger' }[state] || 'neutral';
  return badge(state, kind);
}

/** A definition list from [label, value] pairs (value may be a node). */
export function dl(pairs) {
  return h(
    'dl',
    { class: 'kv' },
    pairs.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v === '' || v === undefined || v === null ? '—' : v)]),
  );
}

/** A table: columns [{ label, render(row) -> node|string, class?, sort? }]. */
export function table(columns, rows, opts = {}) {
  const head = h(
    'tr',
    {},
    columns.map((c) => {
      const th = h('th', { scope: 'col', class: c.class });
      if (c.sortKey && opts.onSort) {
        const active = opts.sort === c.sortKey;
        th.setAttribute('aria-sort', active ? (opts.order === 'asc' ? 'ascending' : 'descending') : 'none');
        append(th, [
          h(
            'button',
            {
              type: 'button',
              class: 'th-sort',
              onclick: () => opts.onSort(c.sortKey),
              title: `Sort by ${c.label}`,
            },
            c.label,
            h('span', { class: 'sort-arrow', 'aria-hidden': 'true', text: active ? (opts.order === 'asc' ? '▲' : '▼') : '↕' }),
          ),
        ]);
      } else {
        th.textContent = c.label;
      }
      return th;
    }),
  );
  const body = h(
    'tbody',
    {},
    rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'empty', text: opts.empty || 'Nothing to show.' }))
      : rows.map((row) =>
          h(
            'tr',
            opts.rowProps ? opts.rowProps(row) : {},
            columns.map((c) => h('td', { class: c.class, 'data-label': c.label }, c.render(row))),
          ),
        ),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'data', 'aria-label': opts.label }, opts.caption ? h('caption', { text: opts.caption }) : null, h('thead', {}, head), body),
  );
}
