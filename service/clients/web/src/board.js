// The SpellTraction board view: 4 x 3 letter cells, the attractor, every player's marker drawn
// with interpolation on requestAnimationFrame, click/tap (and drag) to move.
import { spelltraction } from '../../js/src/index.js';
import { Interpolator } from './interp.js';

const { BOARD_WIDTH, BOARD_HEIGHT, COLS, LETTER_POINTS, cellCenter } = spelltraction;

export const SEAT_COLORS = [
  '#ff6b6b', '#4dabf7', '#51cf66', '#fcc419', '#cc5de8', '#ff922b', '#22b8cf', '#f06595',
  '#94d82d', '#845ef7', '#20c997', '#ffa8a8', '#74c0fc', '#ffd43b', '#e599f7', '#63e6be',
];

export function seatColor(seat) {
  return SEAT_COLORS[seat % SEAT_COLORS.length];
}

export class BoardView {
  constructor(root, { onMove }) {
    this.root = root;
    this.onMove = onMove;
    this.interp = new Interpolator({ tickMs: 50, delayTicks: 2 });
    this.game = null;
    this.mySeat = -1;
    this.members = new Map();
    this.markerEls = new Map();
    this.cells = [];
    this.running = false;
    this.target = null;
    this.#build();
  }

  #build() {
    this.root.innerHTML = '';
    const grid = document.createElement('div');
    grid.className = 'cells';
    for (let i = 0; i < 12; i++) {
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.dataset.cell = String(i);
      cell.innerHTML = '<span class="letter"></span><span class="points"></span>';
      grid.appendChild(cell);
      this.cells.push(cell);
    }
    this.root.appendChild(grid);

    this.attractorEl = document.createElement('div');
    this.attractorEl.className = 'attractor';
    this.attractorEl.hidden = true;
    this.attractorEl.innerHTML =
      '<svg viewBox="0 0 100 100" aria-hidden="true">' +
      '<rect class="track" x="5" y="5" width="90" height="90" rx="14" pathLength="100"/>' +
      '<rect class="progress" x="5" y="5" width="90" height="90" rx="14" pathLength="100"/></svg>';
    this.progressEl = this.attractorEl.querySelector('.progress');
    this.root.appendChild(this.attractorEl);

    this.targetEl = document.createElement('div');
    this.targetEl.className = 'target';
    this.targetEl.hidden = true;
    this.root.appendChild(this.targetEl);

    this.markerLayer = document.createElement('div');
    this.markerLayer.className = 'markers';
    this.root.appendChild(this.markerLayer);

    this.fxLayer = document.createElement('div');
    this.fxLayer.className = 'fx';
    this.root.appendChild(this.fxLayer);

    let dragging = false;
    let lastSent = 0;
    const send = (ev, force) => {
      const now = performance.now();
      if (!force && now - lastSent < 60) return; // stay far below the server's message rate
      lastSent = now;
      const r = this.root.getBoundingClientRect();
      const x = ((ev.clientX - r.left) / r.width) * BOARD_WIDTH;
      const y = ((ev.clientY - r.top) / r.height) * BOARD_HEIGHT;
      this.setTarget(x, y);
      this.onMove(x, y);
    };
    this.root.addEventListener('pointerdown', (ev) => {
      if (ev.button !== undefined && ev.button > 0) return;
      dragging = true;
      this.root.setPointerCapture?.(ev.pointerId);
      send(ev, true);
      ev.preventDefault();
    });
    this.root.addEventListener('pointermove', (ev) => {
      if (dragging) send(ev, false);
    });
    const stop = (ev) => {
      if (dragging && ev.type === 'pointerup') send(ev, true);
      dragging = false;
    };
    this.root.addEventListener('pointerup', stop);
    this.root.addEventListener('pointercancel', stop);
  }

  setTarget(x, y) {
    this.target = { x: Math.max(0, Math.min(BOARD_WIDTH - 1, x)), y: Math.max(0, Math.min(BOARD_HEIGHT - 1, y)) };
    this.targetEl.hidden = false;
    this.targetEl.style.left = `${(this.target.x / BOARD_WIDTH) * 100}%`;
    this.targetEl.style.top = `${(this.target.y / BOARD_HEIGHT) * 100}%`;
    this.targetEl.style.setProperty('--c', seatColor(Math.max(0, this.mySeat)));
    this.targetEl.classList.remove('pop');
    void this.targetEl.offsetWidth; // restart the animation
    this.targetEl.classList.add('pop');
  }

  /** A new room or a snapshot (after a reconnect): start over from the game's state. */
  load(game, { seat, members, tickHz }) {
    this.game = game;
    this.mySeat = seat;
    this.members = members;
    this.interp.reset();
    this.interp.setTickHz(tickHz);
    this.interp.record(game.tick, game.markers, performance.now());
    for (const el of this.markerEls.values()) el.remove();
    this.markerEls.clear();
    this.target = null;
    this.targetEl.hidden = true;
    this.update();
    this.start();
  }

  /** After each State: remember positions for interpolation and refresh the static parts. */
  onState(delta) {
    if (!this.game) return;
    this.interp.record(this.game.tick, this.game.markers, performance.now());
    if (delta) for (const s of delta.scored) this.scoredEffect(s);
    this.update();
  }

  setMembers(members) {
    this.members = members;
    this.update();
  }

  update() {
    const game = this.game;
    if (!game) return;
    const mine = new Set(game.letters(this.mySeat));
    for (let i = 0; i < 12; i++) {
      const letter = game.board[i] ?? '';
      const cell = this.cells[i];
      const letterEl = cell.firstChild;
      if (letterEl.textContent !== letter) {
        letterEl.textContent = letter;
        cell.lastChild.textContent = letter ? String(LETTER_POINTS[letter] ?? '') : '';
      }
      cell.classList.toggle('mine', mine.has(letter));
      cell.classList.toggle('attracted', game.attractor.cell === i);
    }
    const a = game.attractor;
    if (a.cell >= 0) {
      const c = cellCenter(a.cell);
      this.attractorEl.hidden = false;
      this.attractorEl.style.left = `${(c.x / BOARD_WIDTH) * 100}%`;
      this.attractorEl.style.top = `${(c.y / BOARD_HEIGHT) * 100}%`;
      const p = Math.min(1, a.progress / 1000);
      this.progressEl.style.strokeDashoffset = String(100 - p * 100);
      this.attractorEl.dataset.cell = String(a.cell);
      this.attractorEl.classList.toggle('holding', a.progress > 0);
    } else {
      this.attractorEl.hidden = true;
    }
    // Marker elements for every seat on the board.
    for (const [seat] of game.markers) {
      if (!this.markerEls.has(seat)) {
        const el = document.createElement('div');
        el.className = 'marker';
        el.dataset.seat = String(seat);
        el.innerHTML = '<span class="dot"></span><span class="name"></span>';
        this.markerLayer.appendChild(el);
        this.markerEls.set(seat, el);
      }
    }
    for (const [seat, el] of this.markerEls) {
      if (!game.markers.has(seat)) {
        el.remove();
        this.markerEls.delete(seat);
        continue;
      }
      const m = game.markers.get(seat);
      el.dataset.x = String(m.x);
      el.dataset.y = String(m.y);
      const member = this.members.get(seat);
      const name = member?.display_name || `seat ${seat}`;
      el.style.setProperty('--c', seatColor(seat));
      el.classList.toggle('me', seat === this.mySeat);
      el.classList.toggle('away', member ? !member.connected : false);
      const dot = el.firstChild;
      const initial = (name.trim()[0] || '?').toUpperCase();
      if (dot.textContent !== initial) dot.textContent = initial;
      const label = el.lastChild;
      const text = seat === this.mySeat ? `${name} (you)` : name;
      if (label.textContent !== text) label.textContent = text;
    }
    if (this.target && this.game.markers.get(this.mySeat)) {
      const m = this.game.markers.get(this.mySeat);
      if (Math.abs(m.x - Math.round(this.target.x)) <= 1 && Math.abs(m.y - Math.round(this.target.y)) <= 1) {
        this.targetEl.hidden = true;
      }
    }
  }

  scoredEffect(s) {
    const cell = this.cells[s.cell];
    if (cell) {
      cell.classList.remove('scored');
      void cell.offsetWidth;
      cell.classList.add('scored');
    }
    const c = cellCenter(s.cell);
    const fx = document.createElement('div');
    fx.className = 'score-fx';
    fx.style.left = `${(c.x / BOARD_WIDTH) * 100}%`;
    fx.style.top = `${(c.y / BOARD_HEIGHT) * 100}%`;
    const mine = s.seats.includes(this.mySeat);
    fx.classList.toggle('mine', mine);
    fx.textContent = s.seats.length ? `${s.letter} +1` : s.letter;
    this.fxLayer.appendChild(fx);
    setTimeout(() => fx.remove(), 2300);
  }

  start() {
    if (this.running) return;
    this.running = true;
    const frame = () => {
      if (!this.running) return;
      this.draw(performance.now());
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  stop() {
    this.running = false;
    this.game = null;
  }

  draw(now) {
    const w = this.root.clientWidth;
    const h = this.root.clientHeight;
    // Markers on (nearly) the same spot are fanned out a little so every one stays visible.
    const groups = new Map();
    const placed = [];
    for (const [seat, el] of this.markerEls) {
      const p = this.interp.position(seat, now) ?? this.game?.markers.get(seat);
      if (!p) continue;
      const px = (p.x / BOARD_WIDTH) * w;
      const py = (p.y / BOARD_HEIGHT) * h;
      const key = `${Math.round(px / 10)},${Math.round(py / 10)}`;
      const list = groups.get(key) ?? [];
      list.push(placed.length);
      groups.set(key, list);
      placed.push({ el, px, py });
    }
    const radius = Math.max(8, Math.min(26, (w / 4) * 0.14));
    for (const list of groups.values()) {
      if (list.length < 2) continue;
      list.forEach((idx, k) => {
        const angle = (2 * Math.PI * k) / list.length - Math.PI / 2;
        placed[idx].px += Math.cos(angle) * radius;
        placed[idx].py += Math.sin(angle) * radius;
      });
    }
    for (const { el, px, py } of placed) {
      el.style.transform = `translate(${px.toFixed(1)}px, ${py.toFixed(1)}px) translateX(-50%)`;
    }
  }
}

export { COLS };
