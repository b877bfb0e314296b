// A fake WebSocket class and a tiny scripted in-memory Rookery server for the unit tests.
import { decodeEnvelope, encodeEnvelope, ErrorCode, spelltractionPb } from '../src/proto.js';

export function snapshotBytes(frame) {
  return spelltractionPb.Frame.encode(spelltractionPb.Frame.create({ full: true, ...frame })).finish();
}

export function deltaBytes(frame) {
  return spelltractionPb.Frame.encode(spelltractionPb.Frame.create(frame)).finish();
}

/**
 * The server side of fake sockets. By default it answers like Rookery: Hello -> Welcome,
 * Login -> LoginOk, Reconnect -> LoginOk(resumed) then Joined if it holds a seat for the player,
 * JoinOrCreate/JoinRoom/CreateRoom -> Joined, Leave -> Left, Ping -> Pong, ListRooms -> RoomList.
 * Knobs: `refuse` (connections fail), `silent` (message kinds not answered), `tokenValid`,
 * `seatHeld`, `seatAnswer` ('joined' | 'expired' | 'none').
 */
export class FakeServer {
  constructor() {
    this.sockets = [];
    this.received = []; // { socket, env }
    this.refuse = 0; // refuse this many next connection attempts (Infinity: all)
    this.silent = new Set();
    this.tokenValid = true;
    this.seatAnswer = 'joined';
    this.graceMs = 30_000;
    this.idleMs = 60_000;
    this.playerId = 42;
    this.token = 'tok-1';
    this.room = { room_id: 7, type: 'spelltraction', name: 'test', members: 1, max_players: 16, state: 1, tick_hz: 20 };
    this.seat = 3;
    this.tick = 100;
    this.snapshot = { board: 'ABCDEFGHIJKL', attractor: { cell: -1, progress: 0 }, markers: [{ seat: 3, x: 50, y: 50 }], players: [{ seat: 3, letters: 'ABC', score: 0 }] };
    this.connectTimes = [];
    this.handlers = {}; // kind -> (socket, env) => boolean (true: handled)
  }

  get WebSocket() {
    const server = this;
    return class FakeWebSocket {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.binaryType = 'blob';
        this.sent = [];
        server.sockets.push(this);
        server.connectTimes.push(Date.now());
        setTimeout(() => {
          if (server.refuse > 0) {
            server.refuse -= 1;
            this.readyState = 3;
            this.onerror?.({});
            this.onclose?.({ code: 1006, reason: '' });
            return;
          }
          this.readyState = 1;
          this.onopen?.({});
        }, 1);
      }

      send(bytes) {
        if (this.readyState !== 1) throw new Error('socket not open');
        const env = decodeEnvelope(bytes);
        this.sent.push(env);
        server.received.push({ socket: this, env });
        server.handle(this, env);
      }

      close(code = 1000, reason = '') {
        if (this.readyState >= 2) return;
        this.readyState = 3;
        setTimeout(() => this.onclose?.({ code, reason, wasClean: true }), 1);
      }

      // server-side helpers
      deliver(fields) {
        if (this.readyState !== 1) return;
        const bytes = encodeEnvelope(fields);
        // As a browser with binaryType 'arraybuffer' would hand it over.
        const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        this.onmessage?.({ data: ab });
      }

      drop(code = 1006) {
        if (this.readyState >= 2) return;
        this.readyState = 3;
        this.onclose?.({ code, reason: '', wasClean: false });
      }
    };
  }

  get last() {
    return this.sockets[this.sockets.length - 1];
  }

  joined(rid) {
    return {
      request_id: rid,
      joined: {
        room: this.room, seat: this.seat, tick: this.tick,
        members: [{ player_id: this.playerId, display_name: 'Ada', seat: this.seat, connected: true }],
        snapshot: snapshotBytes(this.snapshot),
      },
    };
  }

  handle(ws, env) {
    const kind = env.msg;
    const rid = env.request_id;
    if (this.handlers[kind]?.(ws, env)) return;
    if (this.silent.has(kind)) return;
    const reply = (fields) => setTimeout(() => ws.deliver({ request_id: rid, ...fields }), 1);
    switch (kind) {
      case 'hello':
        reply({ welcome: { protocol_version: 1, server_name: 'fake', reconnect_grace_ms: this.graceMs, idle_timeout_ms: this.idleMs, max_frame_bytes: 65536 } });
        break;
      case 'login':
        reply({ login_ok: { player_id: this.playerId, display_name: env.login.display_name || 'Ada', session_token: this.token, created: false } });
        break;
      case 'reconnect':
        if (!this.tokenValid || env.reconnect.session_token !== this.token) {
          reply({ error: { code: ErrorCode.RECONNECT_EXPIRED, message: 'session token unknown or expired' } });
          break;
        }
        reply({ login_ok: { player_id: this.playerId, display_name: 'Ada', session_token: this.token, resumed: true } });
        if (this.seatAnswer === 'joined') setTimeout(() => ws.deliver(this.joined(rid)), 3);
        if (this.seatAnswer === 'expired') {
          setTimeout(() => ws.deliver({ request_id: rid, error: { code: ErrorCode.RECONNECT_EXPIRED, message: 'seat no longer held' } }), 3);
        }
        break;
      case 'join_or_create':
      case 'join_room':
      case 'create_room':
        setTimeout(() => ws.deliver(this.joined(rid)), 1);
        break;
      case 'leave':
        reply({ left: { room_id: this.room.room_id, reason: 'left' } });
        break;
      case 'ping':
        reply({ pong: { client_time: env.ping.client_time, server_time_ms: Date.now() } });
        break;
      case 'list_rooms':
        reply({ room_list: { rooms: [this.room] } });
        break;
      case 'get_leaderboard':
        reply({ leaderboard: { entries: [{ player_id: 42, display_name: 'Ada', total_score: 5, games_played: 1, best_score: 5 }] } });
        break;
      default:
        break;
    }
  }
}

export function waitFor(client, name, { timeoutMs = 2000, filter = () => true } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for '${name}'`));
    }, timeoutMs);
    const off = client.on(name, (...args) => {
      if (!filter(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

export const delay = (ms) => new Promise((r) => setTimeout(r, ms));
