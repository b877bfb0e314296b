// SpellTraction web client: name -> lobby (boards, leaderboard) -> board. Talks to the Rookery
// server over one WebSocket through the @rookery/client library (bundled with protobufjs). On a
// cluster the library follows redirects to the node of the board; connection.js decides what
// the page says and shows when the connection changes.
import './styles.css';
import { RookeryClient } from '../../js/src/index.js';
import { BoardView, seatColor } from './board.js';
import { PageConnection } from './connection.js';
import { LETTER_POINTS } from '../../js/src/spelltraction.js';

const ROOM_TYPE = 'spelltraction';
const params = new URLSearchParams(location.search);
const serverUrl = params.get('server') ||
  (location.host ? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/` : '');

const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => [...document.querySelectorAll(sel)];

const client = new RookeryClient({ clientName: 'spelltraction-web/0.1', url: serverUrl });
const board = new BoardView($('#board'), { onMove: (x, y) => client.move(x, y) });

const app = {
  screen: 'name',
  name: '',
  rooms: [],
  leaderboard: { entries: [], unavailable: false, error: '', loadedAt: 0 },
  scored: [], // { letter, seats, tick }
  lastSeat: -1,
};

// ---------- storage ----------

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // private mode or blocked: the session still works, only not remembered
  }
}

function deviceId() {
  const s = storage();
  let id = s?.getItem('rookery.deviceId');
  if (!id || id.length < 8) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = 'web-' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    s?.setItem('rookery.deviceId', id);
  }
  return id;
}

// ---------- small UI helpers ----------

function show(screen) {
  app.screen = screen;
  document.body.dataset.screen = screen;
  for (const el of $$('.screen')) el.hidden = el.dataset.screen !== screen;
  if (screen !== 'game') board.stop();
}

function setConn(status) {
  document.body.dataset.conn = status;
  const text = { idle: 'offline', connecting: 'connecting…', open: 'online', reconnecting: 'reconnecting…', closed: 'offline' }[status] ?? status;
  $('#conn-text').textContent = text;
}

function toast(text, kind = 'info', ms = 2600) {
  const el = document.createElement('div');
  el.className = `toast toast-${kind}`;
  el.textContent = text;
  $('#toasts').appendChild(el);
  setTimeout(() => el.classList.add('out'), ms);
  setTimeout(() => el.remove(), ms + 400);
  while ($('#toasts').children.length > 4) $('#toasts').firstChild.remove();
}

function banner(text, { button = null, spinner = true, kind = 'warn' } = {}) {
  const el = $('#banner');
  if (!text) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.dataset.kind = kind;
  $('#banner-text').textContent = text;
  el.querySelector('.spinner').hidden = !spinner;
  const btn = $('#banner-btn');
  btn.hidden = !button;
  if (button) btn.textContent = button;
}

function showError(sel, err) {
  const el = $(sel);
  if (!err) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.textContent = typeof err === 'string' ? err : friendly(err);
}

function friendly(err) {
  return conn.friendly(err);
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function memberName(seat) {
  return client.room?.members.get(seat)?.display_name || `Seat ${seat}`;
}

// ---------- connect and log in ----------

async function start(name) {
  app.name = name;
  storage()?.setItem('rookery.name', name);
  showError('#name-error', null);
  $('#play-btn').disabled = true;
  try {
    if (!serverUrl) throw Object.assign(new Error('No server: open this page from the game server or add ?server=ws://host:port/'), { code: 'CONNECT_FAILED_URL' });
    if (!client.connected) {
      setConn('connecting');
      await client.connect(serverUrl);
    }
    const ok = await client.loginGuest(deviceId(), name);
    $('#me-label').hidden = false;
    $('#me-label').textContent = ok.display_name;
    banner(null);
    setConn('open');
    if (!client.room) {
      show('lobby');
      refreshRooms();
    }
    refreshLeaderboard();
  } catch (err) {
    setConn(client.connected ? 'open' : 'closed');
    showError('#name-error', err.code === 'CONNECT_FAILED_URL' ? err.message : friendly(err));
    if (app.screen !== 'name') {
      banner(`Cannot connect: ${friendly(err)}`, { button: 'Retry', spinner: false, kind: 'error' });
    }
  } finally {
    $('#play-btn').disabled = false;
  }
}

// ---------- lobby ----------

// The lobby's error line also carries what connection.js tells the player (a failed join, a
// board gone with its node): a refresh clears only a listing error of its own.
let listErrorShown = false;

async function refreshRooms() {
  if (!client.connected) return;
  const btn = $('#refresh-rooms-btn');
  btn.disabled = true;
  try {
    app.rooms = await client.listRooms({ type: ROOM_TYPE, includeFull: true });
    renderRooms();
    if (listErrorShown) showError('#lobby-error', null);
    listErrorShown = false;
  } catch (err) {
    showError('#lobby-error', err);
    listErrorShown = true;
  } finally {
    btn.disabled = false;
  }
}

function renderRooms() {
  const list = $('#room-list');
  if (!app.rooms.length) {
    list.innerHTML = '<li class="empty">No boards yet — create one, or press the button above.</li>';
    return;
  }
  list.innerHTML = app.rooms.map((r) => {
    const full = r.members >= r.max_players;
    const title = r.name ? esc(r.name) : `Board #${r.room_id}`;
    return `<li class="room-row" data-room-id="${r.room_id}">
      <div class="room-main"><strong>${title}</strong><span class="muted">#${r.room_id} · ${r.tick_hz} Hz</span></div>
      <span class="pill${full ? ' full' : ''}">${r.members}/${r.max_players}</span>
      <button class="btn btn-small join-btn" type="button" ${full ? 'disabled' : ''}>Join</button>
    </li>`;
  }).join('');
}

function enterRoom(action) {
  return conn.enterRoom(action);
}

// ---------- leaderboard ----------

async function refreshLeaderboard() {
  if (!client.connected || app.leaderboard.unavailable) return renderLeaderboard();
  try {
    app.leaderboard.entries = await client.getLeaderboard(10);
    app.leaderboard.error = '';
    app.leaderboard.loadedAt = Date.now();
  } catch (err) {
    if (err.code === 'UNKNOWN_MESSAGE') app.leaderboard.unavailable = true;
    else app.leaderboard.error = friendly(err);
  }
  renderLeaderboard();
}

function renderLeaderboard() {
  const lb = app.leaderboard;
  let html;
  if (lb.unavailable) {
    html = '<p class="lb-status muted">This server has no leaderboard yet.</p>';
  } else if (lb.error && !lb.entries.length) {
    html = `<p class="lb-status error">${esc(lb.error)}</p>`;
  } else if (!lb.entries.length) {
    html = '<p class="lb-status muted">No scores yet. Be the first!</p>';
  } else {
    const me = client.session?.player_id;
    html = `<ol class="lb-list">${lb.entries.map((e, i) => `
      <li class="lb-row${e.player_id === me ? ' me' : ''}" data-player-id="${e.player_id}">
        <span class="rank">${i + 1}</span>
        <span class="lb-name">${esc(e.display_name || `player ${e.player_id}`)}</span>
        <span class="lb-games muted" title="games played">${e.games_played} game${e.games_played === 1 ? '' : 's'}</span>
        <span class="lb-score" title="total score">${e.total_score}</span>
      </li>`).join('')}</ol>`;
  }
  for (const el of $$('[data-leaderboard]')) el.innerHTML = html;
}

// ---------- game ----------

function enterGame() {
  const room = client.room;
  if (!room || !client.game) return;
  show('game');
  app.lastSeat = room.seat;
  $('#room-title').textContent = room.info?.name || `Board #${room.roomId}`;
  board.load(client.game, { seat: room.seat, members: room.members, tickHz: room.info?.tick_hz || 20 });
  renderSide();
}

function renderSide() {
  const room = client.room;
  const game = client.game;
  if (!room || !game) return;
  $('#seat-label').textContent = `Seat ${room.seat} · ${room.members.size} player${room.members.size === 1 ? '' : 's'}`;
  $('#seat-label').dataset.seat = String(room.seat);
  const letters = game.letters(room.seat);
  const rack = $('#my-letters');
  if (rack.dataset.letters !== letters) {
    rack.dataset.letters = letters;
    rack.innerHTML = [...letters].map((l) => `<span class="tile">${esc(l)}<sub>${LETTER_POINTS[l] ?? ''}</sub></span>`).join('');
  }
  $('#my-score').textContent = String(game.score(room.seat));
  const seats = new Set([...game.players.keys(), ...room.members.keys()]);
  const rows = [...seats].map((seat) => ({
    seat,
    name: memberName(seat),
    score: game.score(seat),
    letters: game.letters(seat),
    connected: room.members.get(seat)?.connected ?? true,
  })).sort((a, b) => b.score - a.score || a.seat - b.seat);
  $('#scores').innerHTML = rows.map((r) => `
    <li class="score-row${r.seat === room.seat ? ' me' : ''}${r.connected ? '' : ' away'}" data-seat="${r.seat}" data-connected="${r.connected}">
      <i class="swatch" style="--c:${seatColor(r.seat)}"></i>
      <span class="sname">${esc(r.name)}${r.seat === room.seat ? ' <em>(you)</em>' : ''}${r.connected ? '' : ' <em class="away-tag">reconnecting…</em>'}</span>
      <span class="sletters">${esc(r.letters)}</span>
      <strong class="score">${r.score}</strong>
    </li>`).join('');
  const a = game.attractor;
  $('#hold-bar').style.width = `${a.cell >= 0 ? Math.min(100, a.progress / 10) : 0}%`;
}

function announceScored(s) {
  app.scored.push({ ...s, tick: client.game?.tick ?? 0 });
  const seat = client.room?.seat;
  if (!s.seats.length) {
    toast(`“${s.letter}” was attracted, but nobody held it`, 'info');
  } else if (s.seats.includes(seat)) {
    const others = s.seats.filter((x) => x !== seat).map(memberName);
    toast(`You scored “${s.letter}”${others.length ? ` with ${others.join(', ')}` : ''}! +1`, 'good');
  } else {
    toast(`${s.seats.map(memberName).join(', ')} scored “${s.letter}”`, 'info');
  }
}

// ---------- client events ----------

client.on('joined', (joined, info) => {
  enterGame();
  if (info.restored) toast('Back in your seat', 'good');
});

client.on('state', (state, delta) => {
  if (app.screen !== 'game') return;
  board.onState(delta);
  if (delta) for (const s of delta.scored) announceScored(s);
  renderSide();
});

client.on('event', (ev, { member }) => {
  const room = client.room;
  switch (ev.kind) {
    case 'player_joined':
      if (ev.player_joined.member?.seat !== room?.seat) toast(`${ev.player_joined.member?.display_name} joined`);
      break;
    case 'player_left': {
      const { seat, reason, player_id } = ev.player_left;
      if (seat === room?.seat && player_id === client.session?.player_id) break;
      const name = member?.display_name ?? 'A player';
      if (reason === 'disconnected') toast(`${name} disconnected`, 'warn');
      else if (reason === 'timeout') toast(`${name} did not come back`);
      else toast(`${name} left`);
      break;
    }
    case 'player_reconnected':
      if (ev.player_reconnected.seat !== room?.seat) toast(`${memberName(ev.player_reconnected.seat)} is back`, 'good');
      break;
    case 'room_closing':
      toast(`The board is closing (${ev.room_closing.reason})`, 'warn');
      break;
    case 'server_shutdown':
      toast('The server is restarting. You will be reconnected.', 'warn', 5000);
      break;
    case 'notice':
      toast(ev.notice.text, 'info', 6000);
      break;
    default:
      break;
  }
  if (app.screen === 'game') {
    board.setMembers(client.room?.members ?? new Map());
    renderSide();
  }
});

// Leaving a room, disconnects, reconnects, redirects and errors not tied to a request.
const conn = new PageConnection(client, {
  screen: () => app.screen,
  show,
  setConn,
  banner,
  toast,
  lobbyError: (text) => {
    listErrorShown = false;
    showError('#lobby-error', text);
  },
  lobbyBusy: (busy) => {
    for (const b of $$('#screen-lobby button')) b.disabled = busy;
  },
  refreshRooms,
  refreshLeaderboard,
});

// ---------- wiring ----------

$('#name-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = $('#name-input').value.trim();
  if (!name) return;
  if (new TextEncoder().encode(name).length > 32) {
    showError('#name-error', 'That name is too long (32 bytes at most).');
    return;
  }
  start(name);
});

$('#refresh-rooms-btn').addEventListener('click', refreshRooms);
$('#quick-play-btn').addEventListener('click', () => enterRoom(() => client.joinOrCreate(ROOM_TYPE)));
$('#create-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = $('#create-name').value.trim();
  enterRoom(() => client.createRoom(ROOM_TYPE, { name }));
});
$('#room-list').addEventListener('click', (ev) => {
  const btn = ev.target.closest('.join-btn');
  if (!btn) return;
  const id = Number(btn.closest('.room-row').dataset.roomId);
  enterRoom(() => client.joinRoom(id));
});
$('#leave-btn').addEventListener('click', async () => {
  try {
    await client.leave();
  } catch (err) {
    if (err.code === 'NOT_IN_ROOM') {
      show('lobby');
      refreshRooms();
    } else {
      toast(friendly(err), 'warn');
    }
  }
});
for (const b of $$('.lb-refresh')) b.addEventListener('click', refreshLeaderboard);
$('#banner-btn').addEventListener('click', () => {
  conn.resetKick();
  start(app.name || $('#name-input').value.trim() || 'guest');
});

// Periodic refreshes: rooms in the lobby, RTT always, leaderboard now and then.
setInterval(async () => {
  if (!client.connected) return;
  try {
    const rtt = await client.ping();
    $('#rtt').textContent = `RTT ${Math.round(rtt)} ms`;
    $('#conn').title = `Connected to ${client.url} · RTT ${Math.round(rtt)} ms`;
  } catch { /* reported by the disconnect handler */ }
}, 3000);
setInterval(() => {
  if (client.connected && app.screen === 'lobby' && !document.hidden) refreshRooms();
}, 5000);
setInterval(() => {
  if (client.connected && app.screen !== 'name' && !document.hidden) refreshLeaderboard();
}, 15000);

// Start: remembered name prefilled.
$('#name-input').value = storage()?.getItem('rookery.name') ?? '';
show('name');
setConn('idle');
if (!serverUrl) showError('#name-error', 'No server: open this page from the game server or add ?server=ws://host:port/');

// Test and debugging hooks (used by tests/e2e).
window.__rookery = {
  client,
  board,
  serverUrl,
  /** Closes the WebSocket without a Leave, like a network drop; the client reconnects. */
  dropSocket: (opts) => client.dropSocket(opts),
  snapshot: () => ({
    screen: app.screen,
    status: client.status,
    url: client.url,
    entryUrl: client.entryUrl,
    playerId: client.session?.player_id ?? 0,
    name: client.session?.display_name ?? '',
    roomId: client.room?.roomId ?? 0,
    seat: client.room?.seat ?? -1,
    members: client.members(),
    game: client.game ? client.game.toJSON() : null,
    scored: app.scored.slice(),
    reconnects: conn.reconnects.slice(),
    redirects: conn.redirects.slice(),
    lobbyError: $('#lobby-error').hidden ? '' : $('#lobby-error').textContent,
    banner: $('#banner').hidden ? '' : $('#banner-text').textContent,
    leaderboard: { ...app.leaderboard },
  }),
  refreshLeaderboard,
};
