// SpellTraction client-side state: a Joined snapshot with each State's delta Frame applied on top.
// Rules: service/games/README.md. The server is authoritative; this only mirrors what it says.
import { spelltractionPb, toUint8Array } from './proto.js';

export const COLS = 4;
export const ROWS = 3;
export const CELL_SIZE = 100;
export const BOARD_WIDTH = COLS * CELL_SIZE; // 400 board units
export const BOARD_HEIGHT = ROWS * CELL_SIZE; // 300 board units
export const ROOM_TYPE = 'spelltraction';

/** Scrabble tile values, for display. */
export const LETTER_POINTS = Object.freeze({
  A: 1, B: 3, C: 3, D: 2, E: 1, F: 4, G: 2, H: 4, I: 1, J: 8, K: 5, L: 1, M: 3,
  N: 1, O: 1, P: 3, Q: 10, R: 1, S: 1, T: 1, U: 1, V: 4, W: 4, X: 8, Y: 4, Z: 10,
});

/** Cell index (row * 4 + column) of a board point; points are clamped to the board. */
export function cellAt(x, y) {
  const col = Math.min(COLS - 1, Math.max(0, Math.floor(x / CELL_SIZE)));
  const row = Math.min(ROWS - 1, Math.max(0, Math.floor(y / CELL_SIZE)));
  return row * COLS + col;
}

/** Centre of a cell in board units. */
export function cellCenter(cell) {
  return { x: (cell % COLS) * CELL_SIZE + CELL_SIZE / 2, y: Math.floor(cell / COLS) * CELL_SIZE + CELL_SIZE / 2 };
}

/** Encodes a Move input payload (Input.payload), coordinates rounded and clamped to the board. */
export function encodeMove(x, y) {
  const cx = Math.min(BOARD_WIDTH - 1, Math.max(0, Math.round(x)));
  const cy = Math.min(BOARD_HEIGHT - 1, Math.max(0, Math.round(y)));
  return spelltractionPb.Move.encode({ x: cx, y: cy }).finish();
}

export function decodeFrame(payload) {
  if (payload instanceof spelltractionPb.Frame) return payload;
  if (payload && !(payload instanceof Uint8Array) && !(payload instanceof ArrayBuffer) && typeof payload === 'object' && !ArrayBuffer.isView(payload)) {
    return spelltractionPb.Frame.create(payload); // a plain object, e.g. in tests
  }
  return spelltractionPb.Frame.decode(toUint8Array(payload ?? new Uint8Array(0)));
}

/**
 * The game as the client knows it.
 * - `board`: 12 letters, row-major ('' before the snapshot)
 * - `attractor`: `{ cell, progress }` (cell -1 before it first moves; progress in thousandths)
 * - `markers`: Map seat -> `{ x, y }` in board units
 * - `players`: Map seat -> `{ letters, score }`
 * - `tick`: the tick the state belongs to
 */
export class SpellTractionState {
  constructor() {
    this.reset();
  }

  reset() {
    this.board = '';
    this.attractor = { cell: -1, progress: 0 };
    this.markers = new Map();
    this.players = new Map();
    this.tick = 0;
  }

  /** Replaces everything with a full Frame (Joined.snapshot). */
  loadSnapshot(snapshot, tick = 0) {
    const frame = decodeFrame(snapshot);
    this.reset();
    this.tick = Number(tick) || 0;
    this.board = frame.board || '';
    this.#applyFields(frame);
    return frame;
  }

  /**
   * Applies one State's delta Frame (empty bytes: nothing changed) and returns what changed:
   * `{ tick, board, attractor, markers: [seat], players: [seat], gone: [seat], scored: [{cell, letter, seats}] }`.
   * A delta for a tick at or before the current one is ignored (returns null).
   */
  applyDelta(payload, tick) {
    if (tick !== undefined && tick !== null && this.tick && Number(tick) <= this.tick) return null;
    const frame = decodeFrame(payload);
    if (tick !== undefined && tick !== null) this.tick = Number(tick);
    if (frame.full) {
      // A full frame in a State is a resync: start from it.
      this.reset();
      this.tick = Number(tick) || 0;
    }
    const changes = this.#applyFields(frame);
    changes.tick = this.tick;
    return changes;
  }

  #applyFields(frame) {
    const changes = { board: false, attractor: false, markers: [], players: [], gone: [], scored: [] };
    if (frame.board) {
      changes.board = frame.board !== this.board;
      this.board = frame.board;
    }
    if (frame.attractor) {
      this.attractor = { cell: frame.attractor.cell ?? 0, progress: frame.attractor.progress ?? 0 };
      changes.attractor = true;
    }
    for (const m of frame.markers ?? []) {
      const seat = m.seat ?? 0;
      this.markers.set(seat, { x: m.x ?? 0, y: m.y ?? 0 });
      changes.markers.push(seat);
    }
    for (const p of frame.players ?? []) {
      const seat = p.seat ?? 0;
      this.players.set(seat, { letters: p.letters ?? '', score: p.score ?? 0 });
      changes.players.push(seat);
    }
    for (const seat of frame.gone ?? []) {
      this.markers.delete(seat);
      this.players.delete(seat);
      changes.gone.push(seat);
    }
    for (const s of frame.scored ?? []) {
      changes.scored.push({ cell: s.cell ?? 0, letter: s.letter ?? '', seats: [...(s.seats ?? [])] });
    }
    return changes;
  }

  /** Letters held by a seat ('' if unknown). */
  letters(seat) {
    return this.players.get(seat)?.letters ?? '';
  }

  score(seat) {
    return this.players.get(seat)?.score ?? 0;
  }

  /** Cell the seat's marker is on, or -1. */
  markerCell(seat) {
    const m = this.markers.get(seat);
    return m ? cellAt(m.x, m.y) : -1;
  }

  /** A plain, JSON-friendly copy (handy in tests and debugging). */
  toJSON() {
    return {
      tick: this.tick,
      board: this.board,
      attractor: { ...this.attractor },
      markers: Object.fromEntries([...this.markers].map(([s, m]) => [s, { ...m }])),
      players: Object.fromEntries([...this.players].map(([s, p]) => [s, { ...p }])),
    };
  }
}
