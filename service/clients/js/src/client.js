// RookeryClient: the Rookery protocol over one WebSocket (one binary message per Envelope).
// Works in browsers and in node >= 20 (global WebSocket, or pass one, e.g. from the `ws` package).
import {
  PROTOCOL_VERSION, decodeEnvelope, encodeEnvelope, errorCodeName, toUint8Array,
} from './proto.js';
import { ROOM_TYPE as SPELLTRACTION, SpellTractionState, encodeMove } from './spelltraction.js';

export const VERSION = '0.1.0';

/** Error codes that end a session for good: no automatic reconnect after them. */
const NO_RECONNECT = new Set(['KICKED', 'BANNED', 'PROTOCOL_VERSION']);
/** Errors after which reconnecting stops (RECONNECT_EXPIRED: only when there is nothing to log in again with). */
const GIVE_UP = new Set(['KICKED', 'BANNED', 'PROTOCOL_VERSION', 'BAD_CREDENTIALS', 'RECONNECT_EXPIRED']);

/**
 * An error from the server (`code` is the ErrorCode name, `serverCode` its number) or from the
 * client: 'REQUEST_TIMEOUT', 'DISCONNECTED', 'NOT_CONNECTED', 'CONNECT_FAILED', 'CLOSED'.
 */
export class RookeryError extends Error {
  constructor(code, message, { serverCode = 0, fatal = false, requestId = 0 } = {}) {
    super(message || code);
    this.name = 'RookeryError';
    this.code = code;
    this.serverCode = serverCode;
    this.fatal = fatal;
    this.requestId = requestId;
  }
}

const DEFAULTS = {
  clientName: `rookery-js/${VERSION}`,
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  autoReconnect: true,
  reconnectInitialDelayMs: 250,
  reconnectMaxDelayMs: 8_000,
  reconnectFactor: 2,
  reconnectJitter: 0.2, // +-20 % of each delay
  reconnectMaxAttempts: Infinity,
  // After a resumed session, how long to wait for the room to give the seat back (Joined) or
  // refuse it. The server sends one of the two only if it still held a seat for the player.
  seatRestoreTimeoutMs: 3_000,
  keepAliveMs: 0, // 0: a third of Welcome.idle_timeout_ms, at most 15 s
};

/**
 * A Rookery connection.
 *
 *   const client = new RookeryClient({ WebSocket });       // WebSocket: optional in browsers
 *   await client.connect('ws://localhost:12123/');          // Hello -> Welcome
 *   await client.loginGuest(deviceId, 'Ada');                // -> LoginOk
 *   const joined = await client.joinOrCreate('spelltraction');
 *   client.onState = (state, delta) => render(client.game);
 *   client.move(200, 150);
 *
 * Callbacks: set `client.onX = fn` or `client.on('x', fn)` (returns an unsubscribe function):
 *   state(State, delta)   one per room tick; delta is the applied game change (SpellTraction)
 *   event(Event, {member}) player joined/left/reconnected, room closing, notices, shutdown;
 *                         member: that seat's Member before the event (names of leavers)
 *   joined(Joined, info)  entered a room (info.restored: the seat came back after a reconnect)
 *   left(Left)            out of the room (reason 'reconnect_expired' if the seat was lost)
 *   error(RookeryError)   an error not tied to a pending request
 *   disconnect(info)      the socket closed; info.willReconnect
 *   reconnecting(info)    { attempt, delayMs } before each attempt
 *   reconnect(info)       { resumed, seatRestored, seat, roomId, attempts }
 *   reconnectFailed(err)  gave up
 *   welcome(Welcome), login(LoginOk), pong({ rttMs })
 */
export class RookeryClient {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    this.url = options.url ?? null;
    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    this.status = 'idle';
    this.welcome = null;
    /** `{ player_id, display_name, session_token }` once logged in */
    this.session = null;
    /** `{ roomId, info, seat, members: Map<seat, Member>, tick }` while in a room */
    this.room = null;
    /** SpellTractionState while in a spelltraction room, else null */
    this.game = null;
    this.rttMs = null;
    this.inputLatencyMs = null;
    this.reconnectAttempts = 0;

    this._ws = null;
    this._nextRequestId = 1;
    this._pending = new Map(); // request id -> { resolve, reject, timer, kind }
    this._waiters = new Set(); // { match(env) -> bool, resolve, reject, timer }
    this._listeners = new Map();
    this._credentials = null;
    this._closedByUser = false;
    this._noReconnect = false;
    this._reconnecting = null;
    this._reconnectDelayOverride = null;
    this._reattachRid = 0;
    this._sleepCancel = null;
    this._inputSeq = 0;
    this._inputSent = new Map(); // seq -> send time, the last few
    this._keepAliveTimer = null;
    this._lastSendMs = 0;
  }

  // ---- events ----

  on(name, fn) {
    if (!this._listeners.has(name)) this._listeners.set(name, new Set());
    this._listeners.get(name).add(fn);
    return () => this._listeners.get(name)?.delete(fn);
  }

  off(name, fn) {
    this._listeners.get(name)?.delete(fn);
  }

  _emit(name, ...args) {
    const prop = this['on' + name[0].toUpperCase() + name.slice(1)];
    const fns = [...(typeof prop === 'function' ? [prop] : []), ...(this._listeners.get(name) ?? [])];
    for (const fn of fns) {
      try {
        fn.apply(this, args);
      } catch (err) {
        // A throwing callback must not break the protocol handling.
        if (name !== 'error') queueMicrotask(() => this._emit('error', err));
      }
    }
  }

  // ---- connection ----

  get connected() {
    return this.status === 'open' && this._ws !== null;
  }

  /** Opens the WebSocket and sends Hello. Resolves with the Welcome. */
  async connect(url = this.url, { hello = true } = {}) {
    if (!url) throw new RookeryError('CONNECT_FAILED', 'no server url');
    this.url = url;
    this._closedByUser = false;
    this._noReconnect = false;
    this.status = 'connecting';
    await this._open();
    if (!hello) return null;
    return this.hello();
  }

  /** Sends Hello; resolves with the Welcome and starts the keep-alive pings. */
  async hello() {
    const env = await this._request({
      hello: { protocol_version: PROTOCOL_VERSION, client: String(this.options.clientName).slice(0, 64) },
    });
    this.welcome = welcomeOf(env.welcome);
    this._startKeepAlive();
    this._emit('welcome', this.welcome);
    return this.welcome;
  }

  /** Guest login: one player per device id (8..128 bytes, keep it stable per device). */
  async loginGuest(deviceId, displayName = '') {
    this._credentials = { kind: 'guest', deviceId, displayName };
    return this._login({ guest: { device_id: deviceId }, display_name: displayName || '' });
  }

  /** Creates an account and logs in to it. */
  async register(username, password, displayName = '') {
    this._credentials = { kind: 'password', username, password, displayName };
    return this._login({ password: { username, password, create: true }, display_name: displayName || '' });
  }

  async login(username, password) {
    this._credentials = { kind: 'password', username, password, displayName: '' };
    return this._login({ password: { username, password, create: false } });
  }

  async _login(login) {
    const env = await this._request({ login });
    return loginOkOf(env.login_ok);
  }

  /** Closes the connection for good (no reconnect). Does not send Leave: call leave() first. */
  close() {
    this._closedByUser = true;
    this._sleepCancel?.();
    this._stopKeepAlive();
    const ws = this._ws;
    this._ws = null;
    this.status = 'closed';
    this._failAll(new RookeryError('CLOSED', 'client closed'));
    if (ws) {
      try {
        ws.close(1000, 'bye');
      } catch { /* already closing */ }
    }
  }

  /**
   * Test hook: closes the socket without a Leave, as a network drop would. The client then
   * reconnects on its own. `reconnectDelayMs` delays the first attempt (default: backoff).
   */
  dropSocket({ reconnectDelayMs } = {}) {
    if (reconnectDelayMs !== undefined) this._reconnectDelayOverride = reconnectDelayMs;
    const ws = this._ws;
    if (!ws) return false;
    this._onSocketClosed(ws, { code: 4000, reason: 'dropped by client test hook', wasClean: false });
    try {
      ws.close(4000, 'drop');
    } catch { /* ignore */ }
    return true;
  }

  _open() {
    const Impl = this.WebSocketImpl;
    if (typeof Impl !== 'function') {
      return Promise.reject(new RookeryError('CONNECT_FAILED',
        'no WebSocket implementation: pass { WebSocket } (node 18-21: the `ws` package)'));
    }
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new Impl(this.url);
      } catch (err) {
        reject(new RookeryError('CONNECT_FAILED', `cannot open ${this.url}: ${err.message}`));
        return;
      }
      ws.binaryType = 'arraybuffer';
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        try { ws.close(); } catch { /* ignore */ }
        reject(new RookeryError('CONNECT_FAILED', `connect to ${this.url} timed out`));
      }, this.options.connectTimeoutMs);
      ws.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this._ws = ws;
        this.status = 'open';
        resolve();
      };
      ws.onerror = () => {
        // Browsers give no detail; the close event follows.
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new RookeryError('CONNECT_FAILED', `cannot connect to ${this.url}`));
      };
      ws.onclose = (ev) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new RookeryError('CONNECT_FAILED', `connection to ${this.url} closed (${ev?.code ?? ''})`));
          return;
        }
        this._onSocketClosed(ws, ev);
      };
      ws.onmessage = (ev) => {
        if (ws !== this._ws) return;
        this._onData(ev.data);
      };
    });
  }

  _onSocketClosed(ws, ev) {
    if (ws !== this._ws) return; // an old socket
    this._ws = null;
    this._stopKeepAlive();
    this._failAll(new RookeryError('DISCONNECTED', 'connection lost'));
    if (this._closedByUser || this._reconnecting) return; // the reconnect loop sees the failure
    const willReconnect = Boolean(this.options.autoReconnect && this.session && !this._noReconnect);
    this.status = willReconnect ? 'reconnecting' : 'closed';
    this._emit('disconnect', { code: ev?.code ?? 0, reason: ev?.reason ?? '', willReconnect });
    if (willReconnect) this._startReconnect();
  }

  _send(fields) {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) throw new RookeryError('NOT_CONNECTED', 'not connected');
    ws.send(encodeEnvelope(fields));
    this._lastSendMs = Date.now();
  }

  _request(fields, { timeoutMs = this.options.requestTimeoutMs } = {}) {
    const requestId = this._allocRequestId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(requestId);
        reject(new RookeryError('REQUEST_TIMEOUT', `no reply to ${Object.keys(fields)[0]} within ${timeoutMs} ms`, { requestId }));
      }, timeoutMs);
      this._pending.set(requestId, { resolve, reject, timer });
      try {
        this._send({ request_id: requestId, ...fields });
      } catch (err) {
        clearTimeout(timer);
        this._pending.delete(requestId);
        reject(err);
      }
    });
  }

  _allocRequestId() {
    const id = this._nextRequestId;
    this._nextRequestId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  /** Resolves with the first envelope `match` accepts, or rejects after `timeoutMs`. */
  _expect(match, timeoutMs) {
    let waiter;
    const promise = new Promise((resolve, reject) => {
      waiter = { match, resolve, reject };
      waiter.timer = setTimeout(() => {
        this._waiters.delete(waiter);
        reject(new RookeryError('REQUEST_TIMEOUT', 'expected message did not arrive'));
      }, timeoutMs);
      this._waiters.add(waiter);
    });
    promise.cancel = () => {
      clearTimeout(waiter.timer);
      this._waiters.delete(waiter);
    };
    return promise;
  }

  _failAll(err) {
    for (const [, p] of this._pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this._pending.clear();
    for (const w of this._waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this._waiters.clear();
  }

  // ---- incoming ----

  _onData(data) {
    let env;
    try {
      env = decodeEnvelope(toUint8Array(data));
    } catch (err) {
      this._emit('error', new RookeryError('MALFORMED', `undecodable message from server: ${err.message}`));
      return;
    }
    this._dispatch(env);
  }

  _dispatch(env) {
    const kind = env.msg;
    const rid = env.request_id || 0;
    let serverError = null;
    // Side effects first, so a resolved request sees the updated client state.
    switch (kind) {
      case 'login_ok':
        this.session = {
          player_id: env.login_ok.player_id,
          display_name: env.login_ok.display_name,
          session_token: env.login_ok.session_token,
        };
        this._emit('login', loginOkOf(env.login_ok));
        break;
      case 'joined':
        this._onJoined(env.joined, rid);
        break;
      case 'left':
        this._onLeft(env.left);
        break;
      case 'state':
        this._onState(env.state);
        break;
      case 'event':
        this._onEvent(env.event);
        break;
      case 'pong':
        if (!rid) this._emit('pong', { rttMs: null });
        break;
      case 'error': {
        const e = env.error;
        const code = errorCodeName(e.code);
        serverError = new RookeryError(code, e.message, { serverCode: e.code, fatal: e.fatal, requestId: rid });
        if (NO_RECONNECT.has(code) || (e.fatal && code === 'TOO_MANY_ERRORS')) this._noReconnect = true;
        break;
      }
      default:
        break;
    }
    for (const w of this._waiters) {
      if (w.match(env)) {
        clearTimeout(w.timer);
        this._waiters.delete(w);
        w.resolve(env);
      }
    }
    const pending = rid ? this._pending.get(rid) : undefined;
    if (pending) {
      this._pending.delete(rid);
      clearTimeout(pending.timer);
      if (serverError) pending.reject(serverError);
      else pending.resolve(env);
    } else if (serverError && !(rid && rid === this._reattachRid)) {
      this._emit('error', serverError);
    }
  }

  _onJoined(joined, rid) {
    const info = joined.room;
    const members = new Map();
    for (const m of joined.members ?? []) members.set(m.seat, memberOf(m));
    const restored = Boolean(rid && rid === this._reattachRid);
    this.room = { roomId: info?.room_id ?? 0, info: roomInfoOf(info), seat: joined.seat, members, tick: joined.tick };
    if (info?.type === SPELLTRACTION) {
      this.game = new SpellTractionState();
      this.game.loadSnapshot(joined.snapshot, joined.tick);
    } else {
      this.game = null;
    }
    this._emit('joined', joinedOf(joined), { restored });
  }

  _onLeft(left) {
    if (this.room && (!left.room_id || left.room_id === this.room.roomId)) {
      this.room = null;
      this.game = null;
    }
    this._emit('left', leftOf(left));
  }

  _onState(state) {
    const room = this.room;
    if (!room || state.room_id !== room.roomId) return;
    if (state.tick <= room.tick) return; // older than the snapshot
    room.tick = state.tick;
    let delta = null;
    if (this.game) {
      try {
        delta = this.game.applyDelta(state.payload, state.tick);
      } catch (err) {
        this._emit('error', new RookeryError('MALFORMED', `bad state payload: ${err.message}`));
      }
    }
    for (const ack of state.acks ?? []) {
      if (ack.seat !== room.seat) continue;
      const sent = this._inputSent.get(ack.seq);
      if (sent !== undefined) this.inputLatencyMs = Date.now() - sent;
    }
    this._emit('state', state, delta);
  }

  _onEvent(event) {
    const room = this.room;
    let before = null; // the member as it was before this event, for callbacks
    if (room && (!event.room_id || event.room_id === room.roomId)) {
      const seat = event[event.kind]?.seat ?? event[event.kind]?.member?.seat;
      const m = seat !== undefined ? room.members.get(seat) : undefined;
      if (m) before = { ...m };
      switch (event.kind) {
        case 'player_joined': {
          const m = event.player_joined.member;
          if (m) room.members.set(m.seat, memberOf(m));
          break;
        }
        case 'player_left': {
          const { seat, reason } = event.player_left;
          if (reason === 'disconnected') {
            const m = room.members.get(seat);
            if (m) m.connected = false;
          } else {
            room.members.delete(seat);
          }
          break;
        }
        case 'player_reconnected': {
          const m = room.members.get(event.player_reconnected.seat);
          if (m) m.connected = true;
          break;
        }
        default:
          break;
      }
    }
    this._emit('event', event, { member: before });
  }

  // ---- requests ----

  /** Lists rooms: filter `{ type, includeFull, includeLocked, limit }`. Resolves with RoomInfo[]. */
  async listRooms(filter = {}) {
    const env = await this._request({
      list_rooms: {
        type: filter.type ?? '',
        include_full: Boolean(filter.includeFull ?? filter.include_full),
        include_locked: Boolean(filter.includeLocked ?? filter.include_locked),
        limit: filter.limit ?? 0,
      },
    });
    return (env.room_list.rooms ?? []).map(roomInfoOf);
  }

  /** Creates a room and takes a seat in it: opts `{ name, maxPlayers }`. Resolves with Joined. */
  async createRoom(type, opts = {}) {
    const env = await this._request({
      create_room: { type, name: opts.name ?? '', max_players: opts.maxPlayers ?? opts.max_players ?? 0 },
    });
    return joinedOf(env.joined);
  }

  async joinRoom(roomId) {
    const env = await this._request({ join_room: { room_id: Number(roomId) } });
    return joinedOf(env.joined);
  }

  /** Joins the fullest open room of the type with a free seat, or creates one. */
  async joinOrCreate(type) {
    const env = await this._request({ join_or_create: { type } });
    return joinedOf(env.joined);
  }

  async leave() {
    const env = await this._request({ leave: {} });
    return leftOf(env.left);
  }

  /**
   * Sends one input (the room type's payload bytes). Returns its seq, or 0 when it could not be
   * sent (not connected or not in a room). Inputs are not queued across a reconnect.
   */
  sendInput(payload) {
    if (!this.room || !this.connected) return 0;
    this._inputSeq = this._inputSeq >= 0xffffffff ? 1 : this._inputSeq + 1;
    const seq = this._inputSeq;
    try {
      this._send({ input: { seq, payload: toUint8Array(payload) } });
    } catch {
      return 0;
    }
    this._inputSent.set(seq, Date.now());
    if (this._inputSent.size > 64) this._inputSent.delete(this._inputSent.keys().next().value);
    return seq;
  }

  /** SpellTraction: move your marker toward a board point (400 x 300 units). */
  move(x, y) {
    return this.sendInput(encodeMove(x, y));
  }

  /** Round trip to the server in milliseconds. */
  async ping() {
    const started = now();
    await this._request({ ping: { client_time: Date.now() } });
    this.rttMs = Math.round((now() - started) * 10) / 10;
    this._emit('pong', { rttMs: this.rttMs });
    return this.rttMs;
  }

  /** Top players from the store, best first: LeaderboardEntry[] (limit 0: server default 10). */
  async getLeaderboard(limit = 10) {
    const env = await this._request({ get_leaderboard: { limit } });
    return (env.leaderboard.entries ?? []).map(entryOf);
  }

  /** Members of the current room, by seat. */
  members() {
    return this.room ? [...this.room.members.values()].sort((a, b) => a.seat - b.seat) : [];
  }

  // ---- keep-alive ----

  _startKeepAlive() {
    this._stopKeepAlive();
    const idle = this.welcome?.idle_timeout_ms || 60_000;
    const every = this.options.keepAliveMs || Math.max(500, Math.min(15_000, Math.floor(idle / 3)));
    this._keepAliveTimer = setInterval(() => {
      if (!this.connected || Date.now() - this._lastSendMs < every) return;
      this.ping().catch((err) => {
        // No pong in time: the connection is dead even if the socket does not know yet.
        if (err.code === 'REQUEST_TIMEOUT') this.dropSocket();
      });
    }, every);
    this._keepAliveTimer.unref?.();
  }

  _stopKeepAlive() {
    if (this._keepAliveTimer) clearInterval(this._keepAliveTimer);
    this._keepAliveTimer = null;
  }

  // ---- reconnect ----

  /** Delay before attempt n (1-based): exponential with jitter, capped. */
  backoffDelay(attempt) {
    const o = this.options;
    const base = Math.min(o.reconnectMaxDelayMs, o.reconnectInitialDelayMs * o.reconnectFactor ** (attempt - 1));
    const jitter = base * o.reconnectJitter * (Math.random() * 2 - 1);
    return Math.max(0, Math.round(base + jitter));
  }

  _startReconnect() {
    if (this._reconnecting) return;
    this._reconnecting = this._reconnectLoop().finally(() => {
      this._reconnecting = null;
    });
  }

  async _reconnectLoop() {
    const previousRoom = this.room ? { roomId: this.room.roomId, seat: this.room.seat, type: this.room.info?.type } : null;
    let attempt = 0;
    let lastError = null;
    while (!this._closedByUser) {
      attempt += 1;
      if (attempt > this.options.reconnectMaxAttempts) break;
      let delayMs = this.backoffDelay(attempt);
      if (attempt === 1 && this._reconnectDelayOverride !== null) delayMs = this._reconnectDelayOverride;
      this._reconnectDelayOverride = null;
      this.reconnectAttempts = attempt;
      this._emit('reconnecting', { attempt, delayMs, error: lastError });
      await this._sleep(delayMs);
      if (this._closedByUser) return;
      try {
        const result = await this._reconnectOnce(previousRoom);
        this.reconnectAttempts = 0;
        this._emit('reconnect', { ...result, attempts: attempt });
        return;
      } catch (err) {
        lastError = err;
        const ws = this._ws;
        this._ws = null; // the loop owns this socket: its close must not start another loop
        if (ws) {
          try { ws.close(); } catch { /* ignore */ }
        }
        this._stopKeepAlive();
        if (GIVE_UP.has(err.code) || this._noReconnect) break;
      }
    }
    if (this._closedByUser) return;
    this.status = 'closed';
    this._reattachRid = 0;
    if (this.room) {
      const roomId = this.room.roomId;
      this.room = null;
      this.game = null;
      this._emit('left', { room_id: roomId, reason: 'reconnect_failed' });
    }
    this._emit('reconnectFailed', lastError ?? new RookeryError('DISCONNECTED', 'gave up reconnecting'));
  }

  async _reconnectOnce(previousRoom) {
    this.status = 'reconnecting';
    await this._open();
    this.status = 'reconnecting'; // _open set 'open'; stay 'reconnecting' until done
    await this.hello();
    let resumed = true;
    let rid = this._nextRequestId;
    // Watch for the room's answer (Joined or RECONNECT_EXPIRED with the login's request id)
    // before sending, so it cannot slip past.
    this._reattachRid = rid;
    let seatAnswer = this._expect(
      (env) => env.request_id === this._reattachRid && this._reattachRid !== 0 &&
        (env.msg === 'joined' || (env.msg === 'error' && errorCodeName(env.error.code) === 'RECONNECT_EXPIRED')),
      this.options.seatRestoreTimeoutMs + this.options.requestTimeoutMs,
    );
    seatAnswer.catch(() => {});
    let loginOk;
    try {
      loginOk = await this._request({ reconnect: { session_token: this.session.session_token } });
    } catch (err) {
      if (err.code !== 'RECONNECT_EXPIRED' || !this._credentials) {
        seatAnswer.cancel();
        throw err;
      }
      // The session is gone: log in again with the same credentials.
      resumed = false;
      seatAnswer.cancel();
      rid = this._nextRequestId;
      this._reattachRid = rid;
      seatAnswer = this._expect(
        (env) => env.request_id === this._reattachRid && this._reattachRid !== 0 &&
          (env.msg === 'joined' || (env.msg === 'error' && errorCodeName(env.error.code) === 'RECONNECT_EXPIRED')),
        this.options.seatRestoreTimeoutMs + this.options.requestTimeoutMs,
      );
      seatAnswer.catch(() => {});
      const c = this._credentials;
      loginOk = c.kind === 'guest'
        ? await this._request({ login: { guest: { device_id: c.deviceId }, display_name: c.displayName || '' } })
        : await this._request({ login: { password: { username: c.username, password: c.password, create: false } } });
    }
    loginOk = loginOkOf(loginOk.login_ok);
    let seatRestored = false;
    if (previousRoom) {
      let answer = null;
      try {
        answer = await Promise.race([seatAnswer, sleep(this.options.seatRestoreTimeoutMs).then(() => null)]);
      } catch (err) {
        if (err.code === 'DISCONNECTED' || err.code === 'CLOSED') throw err;
      }
      seatRestored = answer?.msg === 'joined';
    }
    seatAnswer.cancel();
    this._reattachRid = 0;
    this.status = 'open';
    if (previousRoom && !seatRestored && this.room && this.room.roomId === previousRoom.roomId) {
      // The seat was released while we were away.
      const roomId = this.room.roomId;
      this.room = null;
      this.game = null;
      this._emit('left', { room_id: roomId, reason: 'reconnect_expired' });
    }
    return {
      resumed,
      seatRestored,
      roomId: this.room?.roomId ?? 0,
      seat: this.room?.seat ?? -1,
      previousRoom,
      loginOk,
    };
  }

  _sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this._sleepCancel = null;
        resolve();
      }, ms);
      this._sleepCancel = () => {
        clearTimeout(timer);
        this._sleepCancel = null;
        resolve();
      };
    });
  }
}

// Results handed to applications are plain objects with every field present (proto3 leaves
// defaults off the wire, and protobufjs keeps them on the prototype, where JSON and
// structuredClone do not look).
function memberOf(m) {
  return { player_id: m.player_id, display_name: m.display_name, seat: m.seat, connected: Boolean(m.connected) };
}

function roomInfoOf(r) {
  if (!r) return null;
  return {
    room_id: r.room_id, type: r.type, name: r.name, members: r.members, max_players: r.max_players,
    state: r.state, tick_hz: r.tick_hz,
  };
}

function welcomeOf(w) {
  return {
    protocol_version: w.protocol_version, server_name: w.server_name, server_version: w.server_version,
    max_frame_bytes: w.max_frame_bytes, idle_timeout_ms: w.idle_timeout_ms, reconnect_grace_ms: w.reconnect_grace_ms,
  };
}

function loginOkOf(l) {
  return { player_id: l.player_id, display_name: l.display_name, session_token: l.session_token, resumed: l.resumed, created: l.created };
}

function joinedOf(j) {
  return {
    room: roomInfoOf(j.room), seat: j.seat, members: (j.members ?? []).map(memberOf), snapshot: j.snapshot, tick: j.tick,
  };
}

function leftOf(l) {
  return { room_id: l.room_id, reason: l.reason };
}

function entryOf(e) {
  return {
    player_id: e.player_id, display_name: e.display_name, total_score: e.total_score,
    games_played: e.games_played, best_score: e.best_score,
  };
}

function now() {
  return globalThis.performance?.now?.() ?? Date.now();
}

function sleep(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });
}
