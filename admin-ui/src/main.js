// Rookery admin console: a single-page app with hash routing (#/rooms/12?...).
import 'uplot/dist/uPlot.min.css';
import './styles.css';

import { api, can, session, setUnauthorizedHandler } from './api.js';
import { h, replace, badge } from './dom.js';
import { live } from './live.js';
import { toast, loading, errorBox } from './ui.js';
import { renderLogin } from './views/login.js';
import { renderDashboard } from './views/dashboard.js';
import { renderRooms } from './views/rooms.js';
import { renderRoom } from './views/room.js';
import { renderPlayers } from './views/players.js';
import { renderPlayer } from './views/player.js';
import { renderAudit } from './views/audit.js';
import { renderServer } from './views/server.js';
import { renderCluster } from './views/cluster.js';

const NAV = [
  ['dashboard', 'Dashboard'],
  ['rooms', 'Rooms'],
  ['players', 'Players'],
  ['audit', 'Audit log'],
  ['server', 'Server'],
  ['cluster', 'Cluster'],
];

const ROUTES = [
  { re: /^dashboard$/, view: renderDashboard, nav: 'dashboard', title: 'Dashboard' },
  { re: /^rooms$/, view: renderRooms, nav: 'rooms', title: 'Rooms' },
  { re: /^rooms\/(\d+)$/, view: renderRoom, nav: 'rooms', title: 'Room' },
  { re: /^players$/, view: renderPlayers, nav: 'players', title: 'Players' },
  { re: /^players\/(\d+)$/, view: renderPlayer, nav: 'players', title: 'Player' },
  { re: /^audit$/, view: renderAudit, nav: 'audit', title: 'Audit log' },
  { re: /^server$/, view: renderServer, nav: 'server', title: 'Server' },
  { re: /^cluster$/, view: renderCluster, nav: 'cluster', title: 'Cluster' },
];

const app = document.getElementById('app');
let cleanups = [];
let shell = null; // { main, nav, user, liveDot, banner }
let booted = false;

/** Parses location.hash: "#/rooms/3?q=x" -> { path: "rooms/3", query: URLSearchParams }. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const qi = raw.indexOf('?');
  const path = decodeURIComponent(qi < 0 ? raw : raw.slice(0, qi)).replace(/\/+$/, '');
  const query = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  return { path, query };
}

export function navigate(hash, { replaceState = false } = {}) {
  const target = hash.startsWith('#') ? hash : `#/${hash.replace(/^\//, '')}`;
  if (location.hash === target) {
    route();
  } else if (replaceState) {
    history.replaceState(null, '', target);
    route();
  } else {
    location.hash = target;
  }
}

function runCleanups() {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      /* ignore */
    }
  }
  cleanups = [];
}

function buildShell() {
  const navList = h(
    'ul',
    { class: 'nav-list' },
    NAV.map(([key, label]) => h('li', {}, h('a', { href: `#/${key}`, 'data-nav': key, text: label }))),
  );
  const liveDot = h('span', { class: 'live-dot', title: 'Live stream status', role: 'status' });
  const user = h('div', { class: 'user' });
  const banner = h('div', { class: 'banner banner-warn', role: 'status', hidden: true });
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const el = h(
    'div',
    { class: 'layout' },
    h('a', { class: 'skip-link', href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); }, text: 'Skip to content' }),
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '#/dashboard' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true', text: 'R' }), 'Rookery admin'),
      h('nav', { class: 'nav', 'aria-label': 'Main' }, navList),
      h('div', { class: 'topbar-right' }, liveDot, user),
    ),
    banner,
    main,
  );
  replace(app, el);
  shell = { el, main, navList, liveDot, user, banner };
  live.subscribe((kind, value) => {
    if (kind === 'status') updateLiveDot(value);
    if (kind === 'sample') updateBanner(value);
  });
  updateLiveDot(live.status);
}

function updateLiveDot(status) {
  if (!shell) return;
  const label = { live: 'Live', connecting: 'Connecting…', error: 'Stream offline', off: 'Offline' }[status] || status;
  shell.liveDot.className = `live-dot live-${status}`;
  shell.liveDot.textContent = label;
}

function updateBanner(o) {
  if (!shell) return;
  if (o?.draining) {
    shell.banner.textContent = 'The server is draining: no new rooms or joins; it will stop soon.';
    shell.banner.hidden = false;
  } else {
    shell.banner.hidden = true;
  }
}

function renderUser() {
  const u = session.user;
  replace(
    shell.user,
    h('span', { class: 'user-name', text: u.username }),
    badge(u.role, u.role === 'admin' ? 'accent' : u.role === 'operator' ? 'ok' : 'neutral'),
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        onclick: async () => {
          try {
            await api.logout();
          } catch (e) {
            toast(e.message, 'error');
          }
          live.stop();
          shell = null;
          navigate('#/login');
        },
        text: 'Log out',
      },
    ),
  );
}

async function route() {
  runCleanups();
  const { path, query } = parseHash();

  if (path === 'login') {
    live.stop();
    shell = null;
    document.title = 'Log in · Rookery admin';
    const next = query.get('next') || '#/dashboard';
    renderLogin(app, {
      onLoggedIn: () => {
        navigate(next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/dashboard', { replaceState: true });
      },
    });
    return;
  }

  if (!session.user) {
    // First load or after a reload: the cookie may still hold a session.
    replace(app, loading('Checking your session…'));
    try {
      await api.me();
    } catch (e) {
      if (e.status === 401) {
        const nextHash = path ? `#/${path}${query.toString() ? `?${query}` : ''}` : '';
        navigate(`#/login${nextHash ? `?next=${encodeURIComponent(nextHash)}` : ''}`, { replaceState: true });
      } else {
        const box = errorBox();
        replace(app, h('div', { class: 'center-page' }, h('h1', { text: 'Rookery admin' }), box,
          h('button', { class: 'btn btn-primary', type: 'button', onclick: () => route(), text: 'Retry' })));
        box.show(e);
      }
      return;
    }
  }

  if (!shell) buildShell();
  renderUser();
  live.start();

  const match = path === '' ? { r: ROUTES[0], m: [] } : ROUTES.map((r) => ({ r, m: path.match(r.re) })).find((x) => x.m);
  for (const a of shell.navList.querySelectorAll('a')) {
    if (match && a.dataset.nav === match.r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  shell.main.replaceChildren();
  if (!match) {
    document.title = 'Not found · Rookery admin';
    replace(shell.main, h('h1', { class: 'page-title', tabindex: '-1', text: 'Page not found' }),
      h('p', {}, 'No page at this address. ', h('a', { href: '#/dashboard', text: 'Go to the dashboard' }), '.'));
    return;
  }
  document.title = `${match.r.title} · Rookery admin`;
  const ctx = {
    root: shell.main,
    params: match.m.slice(1),
    query,
    navigate,
    can,
    onCleanup: (fn) => cleanups.push(fn),
    /** Updates the hash query without re-rendering the page. */
    setQuery: (params) => {
      const s = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
      const text = s.toString();
      history.replaceState(null, '', `#/${path}${text ? `?${text}` : ''}`);
    },
  };
  try {
    await match.r.view(ctx);
  } catch (e) {
    const box = errorBox();
    shell.main.append(box);
    box.show(e);
  }
  if (booted) {
    const title = shell.main.querySelector('.page-title');
    if (title && !shell.main.contains(document.activeElement)) title.focus({ preventScroll: true });
  }
  booted = true;
}

setUnauthorizedHandler(() => {
  live.stop();
  shell = null;
  const { path, query } = parseHash();
  if (path === 'login') return;
  toast('Your session has ended; please log in again.', 'info');
  const nextHash = `#/${path}${query.toString() ? `?${query}` : ''}`;
  navigate(`#/login?next=${encodeURIComponent(nextHash)}`, { replaceState: true });
});

window.addEventListener('hashchange', route);
route();
