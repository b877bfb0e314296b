// A fake WebSocket class and a tiny scripted in-memory Rookery server for the unit tests.
import { decodeEnvelope, encodeEnvelope, ErrorCode, spelltractionPb } from '../src/proto.js';

export function snapshotBytes(frame) {
  return spelltractionPb.Frame.encode(spelltractionPb.Frame.create({ full: true, ...frame })).finish();
}

export function deltaBytes(frame) {
  return spelltractionPb.Frame.encode(spelltractionPb.Frame.create(frame)).finish();
}

/** "host:port" of a ws:// or wss:// URL: where a fake socket connects. */
function addressOf(url) {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'wss:' ? 443 : 80)}`;
}

/**
 * A fake WebSocket class whose sockets reach the FakeServer `serverFor(url)` returns. No
 * server (null): the connection fails, as at a host where nothing listens.
 */
function fakeSocketClass(serverFor) {
  return class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.binaryType = 'blob';
      this.sent = [];
      this.closedByClient = null; // { code, reason } once the client closed it
      const server = serverFor(url);
      this.server = server;
      server?.sockets.push(this);
      server?.connectTimes.push(Date.now());
      setTimeout(() => {
        if (!server || server.refuse > 0) {
          if (server) server.refuse -= 1;
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
      this.server.received.push({ socket: this, env });
      this.server.handle(this, env);
    }

    close(code = 1000, reason = '') {
      if (this.readyState >= 2) return;
      this.readyState = 3;
      this.closedByClient = { code, reason };
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

/**
 * Several fake servers on one fake network, by the host:port of their URL: a client given
 * `network.WebSocket` reaches whichever one a URL names (a cluster's nodes).
 */
export class FakeNetwork {
  constructor() {
    this.servers = new Map(); // "host:port" -> FakeServer
  }

  /** Puts `server` (default: a new FakeServer) at `url`; returns it. */
  add(url, server = new FakeServer()) {
    this.servers.set(addressOf(url), server);
    server.url = url;
    return server;
  }

  get WebSocket() {
    return fakeSocketClass((url) => this.servers.get(addressOf(url)) ?? null);
  }
}

/**
 * The server side of fake sockets. By default it answers like Rookery: Hello -> Welcome,
 * Login -> LoginOk, Reconnect -> LoginOk(resumed) then Joined if it holds a seat for the player,
 * JoinOrCreate/JoinRoom/CreateRoom -> Joined, Leave -> Left, Ping -> Pong, ListRooms -> RoomList.
 * Knobs: `refuse` (connections fail), `silent` (message kinds not answered), `tokenValid`,
 * `seatHeld`, `seatAnswer` ('joined' | 'expired' | 'none').
 * Cluster knobs: `redirectJoins` (a Redirect's fields: joins are answered with it),
 * `reconnectRedirect` (a Redirect's fields: an unknown token's Reconnect is answered with it,
 * reconnect set), `tickets` (tickets Login{ticket} accepts, once each; then LoginOk and, after
 * `ticketAnswer` ('joined' | an ErrorCode name), Joined or that Error), `onTicketLogin(ticket)`
 * (called as a ticket is accepted, before LoginOk: a test evicts the old node's session there),
 * `loginOkDelayMs`.
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
    this.url = null; // set by FakeNetwork.add
    this.redirectJoins = null;
    this.reconnectRedirect = null;
    this.tickets = new Set();
    this.ticketAnswer = 'joined';
    this.onTicketLogin = null;
    this.loginOkDelayMs = 1;
  }

  get WebSocket() {
    return fakeSocketClass(() => this);
  }

  get last() {
    return this.sockets[this.sockets.length - 1];
  }

  /** Sockets still open. */
  get open() {
    return this.sockets.filter((s) => s.readyState === 1);
  }

  /** What a node does to a session when the player logs in on another node: KICKED, then close. */
  evict(message = 'logged in on another node') {
    for (const ws of this.open) {
      ws.deliver({ error: { code: ErrorCode.KICKED, message, fatal: true } });
      ws.drop(1000);
    }
  }

  /** The node dies: every connection drops and new ones are refused. */
  kill() {
    this.refuse = Infinity;
    for (const ws of this.open) ws.drop(1006);
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

  // Login{ticket}: once per ticket; LoginOk, then the seat's Joined (or ticketAnswer's Error)
  // with the same request id, as a node answers a redirected player.
  loginWithTicket(ws, rid, ticket) {
    if (!this.tickets.has(ticket)) {
      setTimeout(() => ws.deliver({ request_id: rid, error: { code: ErrorCode.TICKET_INVALID, message: 'ticket unknown, used or expired' } }), 1);
      return;
    }
    this.tickets.delete(ticket);
    this.onTicketLogin?.(ticket);
    setTimeout(() => {
      ws.deliver({ request_id: rid, login_ok: { player_id: this.playerId, display_name: 'Ada', session_token: this.token } });
      setTimeout(() => {
        if (this.ticketAnswer === 'joined') ws.deliver(this.joined(rid));
        else ws.deliver({ request_id: rid, error: { code: ErrorCode[this.ticketAnswer], message: 'seat refused' } });
      }, 2);
    }, this.loginOkDelayMs);
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
        if (env.login.method === 'ticket') {
          this.loginWithTicket(ws, rid, env.login.ticket);
          break;
        }
        reply({ login_ok: { player_id: this.playerId, display_name: env.login.display_name || 'Ada', session_token: this.token, created: false } });
        break;
      case 'reconnect':
        if (!this.tokenValid || env.reconnect.session_token !== this.token) {
          if (this.reconnectRedirect) {
            reply({ redirect: { ...this.reconnectRedirect, ticket: '', reconnect: true } });
            break;
          }
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
        if (this.redirectJoins) {
          reply({ redirect: { ...this.redirectJoins, reconnect: false } });
          break;
        }
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
