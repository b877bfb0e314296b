// RookeryClient: the Rookery protocol over one WebSocket (one binary message per Envelope).
// Works in browsers and in node >= 20 (global WebSocket, or pass one, e.g. from the `ws` package).
import {
  PROTOCOL_VERSION, decodeEnvelope, encodeEnvelope, errorCodeName, toUint8Array,
} from './proto.js';
import { ROOM_TYPE as SPELLTRACTION, SpellTractionState, encodeMove } from './spelltraction.js';

export const VERSION = '0.1.0';

/** Error codes that end a session for good: no automatic reconnect after them. */
const NO_RECONNECT = new Set(['KICKED', 'BANNED', 'PROTOCOL_VERSION']);
/**
 * Errors after which reconnecting stops (RECONNECT_EXPIRED: only when there is nothing to log in
 * again with; REDIRECTED: the session lives at another node and followRedirects is off).
 * CLUSTER_UNAVAILABLE is not one of them: it means "retry".
 */
const GIVE_UP = new Set(['KICKED', 'BANNED', 'PROTOCOL_VERSION', 'BAD_CREDENTIALS', 'RECONNECT_EXPIRED', 'REDIRECTED']);
/**
 * Redirects one reconnect attempt follows before it counts as failed: one is normal (the session
 * lives at another node); more means the nodes disagree about where (a directory being repaired).
 */
const MAX_RECONNECT_REDIRECTS = 2;

/**
 * An error from the server (`code` is the ErrorCode name, `serverCode` its number) or from the
 * client: 'REQUEST_TIMEOUT', 'DISCONNECTED', 'NOT_CONNECTED', 'CONNECT_FAILED', 'CLOSED', or
 * 'REDIRECTED' (followRedirects is off; `redirect` holds the Redirect).
 */
export class RookeryError extends Error {
  constructor(code, message, { serverCode = 0, fatal = false, requestId = 0, redirect = null } = {}) {
    super(message || code);
    this.name = 'RookeryError';
    this.code = code;
    this.serverCode = serverCode;
    this.fatal = fatal;
    this.requestId = requestId;
    this.redirect = redirect;
  }
}

/**
 * The WebSocket URL of a Redirect's node: its host and ws_port, with the scheme of `currentUrl`
 * (wss stays wss). A Redirect without a host or port keeps the current one.
 */
export function redirectUrl(currentUrl, redirect) {
  let scheme = 'ws:';
  let host = '';
  let port = '';
  try {
    const u = new URL(currentUrl);
    if (u.protocol === 'wss:' || u.protocol === 'https:') scheme = 'wss:';
    host = u.hostname;
    port = u.port;
  } catch { /* no usable current URL: the Redirect has to say everything */ }
  host = redirect.host || host;
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`; // an IPv6 literal
  if (redirect.ws_port) port = String(redirect.ws_port);
  return `${scheme}//${host}${port ? `:${port}` : ''}/`;
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
  // A join answered with a Redirect moves to the room's node by itself. false: the join rejects
  // with REDIRECTED and followRedirect(err.redirect) does it.
  followRedirects: true,
  // After a redirect, the reconnect loop retries at the node it was sent to. After this many
  // failed attempts there in a row it asks the URL given to connect() again, which knows where
  // the session lives now (and sends the client there) or that it is gone. 0: never.
  reconnectFallbackAfter: 3,
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
 *   joined(Joined, info)  entered a room (info.restored: the seat came back after a reconnect;
 *                         info.redirected: at another node, after a Redirect)
 *   left(Left)            out of the room (reason 'reconnect_expired' if the seat was lost)
 *   error(RookeryError)   an error not tied to a pending request
 *   disconnect(info)      the socket closed; info.willReconnect
 *   reconnecting(info)    { attempt, delayMs, url } before each attempt
 *   reconnect(info)       { resumed, seatRestored, seat, roomId, attempts, url, previousUrl }
 *   reconnectFailed(err)  gave up
 *   redirect(info)        { node, host, roomId, url, reconnect }: moving to another node of a
 *                         cluster (a join's Redirect, or a Reconnect sent where the session is not)
 *   welcome(Welcome), login(LoginOk), pong({ rttMs })
 */
export class RookeryClient {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    this.url = options.url ?? null;
    /** The URL given to connect(); `url` is home: the node followed redirects last led to. */
    this.entryUrl = this.url;
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
    // While a join's Redirect is followed: { ws, oldWs, evicting, evicted, oldClosed }.
    this._following = null;
    this._redirectRid = 0; // the request id of the redirect's Login{ticket}
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
    this.entryUrl = url;
    this._closedByUser = false;
    this._noReconnect = false;
    this.status = 'connecting';
    await this._open();
    if (!hello) return null;
    return this.hello();
  }

  /** Sends Hello; resolves with the Welcome and starts the keep-alive pings. */
  async hello() {
    this._welcomed(await this._request(this._helloFields()));
    return this.welcome;
  }

  _helloFields() {
    return { hello: { protocol_version: PROTOCOL_VERSION, client: String(this.options.clientName).slice(0, 64) } };
  }

  _welcomed(env) {
    this.welcome = welcomeOf(env.welcome);
    this._startKeepAlive();
    this._emit('welcome', this.welcome);
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
    const sockets = [this._ws, this._following?.ws];
    this._ws = null;
    this.status = 'closed';
    this._failAll(new RookeryError('CLOSED', 'client closed'));
    for (const ws of sockets) {
      if (!ws) continue;
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

  /** Opens `url` as the client's connection (this.url by default). */
  async _open(url = this.url) {
    const ws = await this._openSocket(url);
    if (this._closedByUser) {
      // close() came while connecting: this socket is nobody's.
      try { ws.close(1000, 'bye'); } catch { /* ignore */ }
      throw new RookeryError('CLOSED', 'client closed');
    }
    this._ws = ws;
    this.status = 'open';
  }

  /**
   * Opens a WebSocket to `url`; resolves with it once open, without making it the client's
   * connection (a redirect keeps the old one until the new node has logged it in).
   */
  _openSocket(url, timeoutMs = this.options.connectTimeoutMs) {
    const Impl = this.WebSocketImpl;
    if (typeof Impl !== 'function') {
      return Promise.reject(new RookeryError('CONNECT_FAILED',
        'no WebSocket implementation: pass { WebSocket } (node 18-21: the `ws` package)'));
    }
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new Impl(url);
      } catch (err) {
        reject(new RookeryError('CONNECT_FAILED', `cannot open ${url}: ${err.message}`));
        return;
      }
      ws.binaryType = 'arraybuffer';
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        try { ws.close(); } catch { /* ignore */ }
        reject(new RookeryError('CONNECT_FAILED', `connect to ${url} timed out`));
      }, timeoutMs);
      ws.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(ws);
      };
      ws.onerror = () => {
        // Browsers give no detail; the close event follows.
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new RookeryError('CONNECT_FAILED', `cannot connect to ${url}`));
      };
      ws.onclose = (ev) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new RookeryError('CONNECT_FAILED', `connection to ${url} closed (${ev?.code ?? ''})`));
          return;
        }
        this._onSocketClosed(ws, ev);
      };
      ws.onmessage = (ev) => this._onData(ev.data, ws);
    });
  }

  _onSocketClosed(ws, ev) {
    // Whatever was asked on this socket gets no answer now, whichever socket is current.
    this._failSocket(ws, new RookeryError('DISCONNECTED', 'connection lost'));
    const f = this._following;
    if (f && ws === f.oldWs && ws === this._ws) {
      // The connection a redirect is leaving ended (the new login evicted it, or it dropped).
      // Whether that is a disconnect is known when the redirect succeeds or fails.
      f.oldClosed = { code: ev?.code ?? 0, reason: ev?.reason ?? '' };
      this._ws = null;
      this._stopKeepAlive();
      return;
    }
    if (ws !== this._ws) return; // an old socket
    this._ws = null;
    this._stopKeepAlive();
    this._connectionLost(ev);
  }

  /** The client's connection is gone: reconnect, or report the end. */
  _connectionLost(ev) {
    if (this._closedByUser || this._reconnecting) return; // the reconnect loop sees the failure
    const willReconnect = Boolean(this.options.autoReconnect && this.session && !this._noReconnect);
    this.status = willReconnect ? 'reconnecting' : 'closed';
    this._emit('disconnect', { code: ev?.code ?? 0, reason: ev?.reason ?? '', willReconnect });
    if (willReconnect) this._startReconnect();
  }

  _send(fields, ws = this._ws) {
    if (!ws || ws.readyState !== 1) throw new RookeryError('NOT_CONNECTED', 'not connected');
    ws.send(encodeEnvelope(fields));
    if (ws === this._ws) this._lastSendMs = Date.now();
  }

  /**
   * Sends a request on `ws` (the client's connection by default) and resolves with the reply
   * that carries its request id (`requestId`: one allocated before, to watch for later replies).
   */
  _request(fields, { timeoutMs = this.options.requestTimeoutMs, ws = this._ws, requestId = this._allocRequestId() } = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(requestId);
        reject(new RookeryError('REQUEST_TIMEOUT', `no reply to ${Object.keys(fields)[0]} within ${timeoutMs} ms`, { requestId }));
      }, timeoutMs);
      this._pending.set(requestId, { resolve, reject, timer, ws });
      try {
        this._send({ request_id: requestId, ...fields }, ws);
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

  /**
   * Resolves with the first envelope `match` accepts, or rejects after `timeoutMs` or when `ws`
   * (the client's connection by default), where the answer is due, closes.
   */
  _expect(match, timeoutMs, ws = this._ws) {
    let waiter;
    const promise = new Promise((resolve, reject) => {
      waiter = { match, resolve, reject, ws };
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

  /** Rejects the requests and waiters bound to socket `ws`. */
  _failSocket(ws, err) {
    for (const [rid, p] of this._pending) {
      if (p.ws !== ws) continue;
      clearTimeout(p.timer);
      this._pending.delete(rid);
      p.reject(err);
    }
    for (const w of this._waiters) {
      if (w.ws !== ws) continue;
      clearTimeout(w.timer);
      this._waiters.delete(w);
      w.reject(err);
    }
  }

  // ---- incoming ----

  _onData(data, ws) {
    const f = this._following;
    // The client's connection speaks, and while a redirect is followed the new one too. A socket
    // left behind may still deliver its last words (the eviction by the new login): not ours.
    if (ws !== this._ws && !(f && ws === f.ws)) return;
    let env;
    try {
      env = decodeEnvelope(toUint8Array(data));
    } catch (err) {
      this._emit('error', new RookeryError('MALFORMED', `undecodable message from server: ${err.message}`));
      return;
    }
    if (f && ws === f.oldWs && f.evicting && env.msg === 'error' && errorCodeName(env.error.code) === 'KICKED') {
      // The login at the new node evicts the session here ("logged in on another node"), maybe
      // before that node's LoginOk arrives: the redirect working, not a kick.
      f.evicted = true;
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
        serverError = serverErrorOf(env);
        const code = serverError.code;
        if (NO_RECONNECT.has(code) || (env.error.fatal && code === 'TOO_MANY_ERRORS')) this._noReconnect = true;
        break;
      }
      default:
        break;
    }
    let awaited = false; // a waiter took it: an expected answer, not an application error
    for (const w of this._waiters) {
      if (w.match(env)) {
        clearTimeout(w.timer);
        this._waiters.delete(w);
        w.resolve(env);
        awaited = true;
      }
    }
    const pending = rid ? this._pending.get(rid) : undefined;
    if (pending) {
      this._pending.delete(rid);
      clearTimeout(pending.timer);
      if (serverError) pending.reject(serverError);
      else pending.resolve(env);
    } else if (serverError && !awaited && !(rid && rid === this._reattachRid)) {
      this._emit('error', serverError);
    }
  }

  _onJoined(joined, rid) {
    const info = joined.room;
    const members = new Map();
    for (const m of joined.members ?? []) members.set(m.seat, memberOf(m));
    const restored = Boolean(rid && rid === this._reattachRid);
    const redirected = Boolean(rid && rid === this._redirectRid);
    this.room = { roomId: info?.room_id ?? 0, info: roomInfoOf(info), seat: joined.seat, members, tick: joined.tick };
    if (info?.type === SPELLTRACTION) {
      this.game = new SpellTractionState();
      this.game.loadSnapshot(joined.snapshot, joined.tick);
    } else {
      this.game = null;
    }
    this._emit('joined', joinedOf(joined), { restored, redirected });
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

  /**
   * Creates a room and takes a seat in it: opts `{ name, maxPlayers }`. Resolves with Joined
   * (from another node if the cluster placed the room there; see followRedirect).
   */
  async createRoom(type, opts = {}) {
    return this._join({
      create_room: { type, name: opts.name ?? '', max_players: opts.maxPlayers ?? opts.max_players ?? 0 },
    });
  }

  /** Takes a seat in room `roomId`, at whichever node serves it. Resolves with Joined. */
  async joinRoom(roomId) {
    return this._join({ join_room: { room_id: Number(roomId) } });
  }

  /** Joins the fullest open room of the type with a free seat, or creates one. Resolves with Joined. */
  async joinOrCreate(type) {
    return this._join({ join_or_create: { type } });
  }

  async _join(fields) {
    const env = await this._request(fields);
    if (env.msg === 'joined') return joinedOf(env.joined);
    if (env.msg !== 'redirect') throw new RookeryError('MALFORMED', `a join was answered with ${env.msg}`);
    const redirect = redirectOf(env.redirect);
    if (!this.options.followRedirects) {
      throw new RookeryError('REDIRECTED', `the room is served by node ${redirect.node || redirect.host}`,
        { requestId: env.request_id, redirect });
    }
    return this.followRedirect(redirect);
  }

  /**
   * Follows a join's Redirect to the node that holds the seat: a new connection there, Hello,
   * Login{ticket}; resolves with the Joined from that node, which is home from then on (url,
   * reconnects). Until that node's LoginOk the old connection is kept: if the redirect fails
   * there (CONNECT_FAILED, TICKET_INVALID, ...) the client is still logged in where it was, in
   * the lobby, and the promise rejects. Joins call this by themselves unless followRedirects is off.
   */
  async followRedirect(redirect) {
    if (!redirect?.ticket || redirect.reconnect) {
      throw new RookeryError('INVALID_ARGUMENT', 'not the Redirect of a join (it has no ticket)');
    }
    if (this._following) throw new RookeryError('ALREADY_IN_ROOM', 'a redirect is already being followed');
    const url = redirectUrl(this.url, redirect);
    this._emit('redirect', { node: redirect.node, host: redirect.host, roomId: redirect.room_id, url, reconnect: false });
    const f = { ws: null, oldWs: this._ws, evicting: false, evicted: false, oldClosed: null };
    this._following = f;
    const rid = this._allocRequestId();
    this._redirectRid = rid;
    let moved = false;
    try {
      // No use waiting for a connection longer than the seat is held.
      f.ws = await this._openSocket(url, Math.min(this.options.connectTimeoutMs, redirect.ttl_ms || Infinity));
      if (this._closedByUser) throw new RookeryError('CLOSED', 'client closed');
      const welcome = await this._request(this._helloFields(), { ws: f.ws });
      // Joined (or the room's refusal) follows LoginOk with the login's request id: watch for
      // it before sending, so it cannot slip past.
      const seat = this._expect((env) => env.request_id === rid && (env.msg === 'joined' || env.msg === 'error'),
        2 * this.options.requestTimeoutMs, f.ws);
      seat.catch(() => {});
      f.evicting = true;
      try {
        await this._request({ login: { ticket: redirect.ticket } }, { ws: f.ws, requestId: rid });
      } catch (err) {
        seat.cancel();
        throw err;
      }
      this._moveTo(f, url, welcome);
      moved = true;
      const answer = await seat;
      if (answer.msg === 'error') throw serverErrorOf(answer);
      return joinedOf(answer.joined);
    } catch (err) {
      if (!moved) this._abandonFollow(f);
      throw err;
    } finally {
      if (this._following === f) this._following = null;
      if (this._redirectRid === rid) this._redirectRid = 0;
    }
  }

  // The new node logged us in: it is home now. The old connection is closed here, first, so
  // the eviction its node sends (KICKED) is never taken for a kick.
  _moveTo(f, url, welcomeEnv) {
    const old = f.oldWs;
    this._following = null;
    this._ws = f.ws;
    this.url = url;
    this.status = 'open';
    this._welcomed(welcomeEnv);
    if (old) {
      try { old.close(1000, 'redirected'); } catch { /* already closing */ }
    }
  }

  // A redirect that failed before the new node's LoginOk: drop its connection and stay where
  // we were. If the old connection ended meanwhile, that is now a disconnect like any other.
  _abandonFollow(f) {
    this._following = null;
    if (f.ws) {
      try { f.ws.close(1000, 'redirect failed'); } catch { /* ignore */ }
      this._failSocket(f.ws, new RookeryError('DISCONNECTED', 'redirect abandoned'));
    }
    if (f.oldClosed && !this._ws) this._connectionLost(f.oldClosed);
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
    const previousUrl = this.url;
    let attempt = 0;
    let lastError = null;
    let failedUrl = null; // where the last attempts failed, and how many times in a row
    let failuresThere = 0;
    while (!this._closedByUser) {
      attempt += 1;
      if (attempt > this.options.reconnectMaxAttempts) break;
      let delayMs = this.backoffDelay(attempt);
      if (attempt === 1 && this._reconnectDelayOverride !== null) delayMs = this._reconnectDelayOverride;
      this._reconnectDelayOverride = null;
      this.reconnectAttempts = attempt;
      this._emit('reconnecting', { attempt, delayMs, error: lastError, url: this.url });
      await this._sleep(delayMs);
      if (this._closedByUser) return;
      try {
        const result = await this._reconnectOnce(previousRoom);
        this.reconnectAttempts = 0;
        this._emit('reconnect', { ...result, attempts: attempt, url: this.url, previousUrl });
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
        // Failures count per URL (a redirect during the attempt moved home: one failure there).
        failuresThere = this.url === failedUrl ? failuresThere + 1 : 1;
        failedUrl = this.url;
        const fallbackAfter = this.options.reconnectFallbackAfter;
        if (fallbackAfter > 0 && this.entryUrl && this.url !== this.entryUrl && failuresThere >= fallbackAfter) {
          // The node a redirect sent us to does not answer (it may be gone): the entry point
          // knows where the session lives now, or says it is gone (then: log in again there).
          this.url = this.entryUrl;
        }
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
    let resumed = true;
    let seatAnswer;
    let loginOk;
    for (let redirects = 0; ; redirects += 1) {
      this.status = 'reconnecting';
      await this._open();
      this.status = 'reconnecting'; // _open set 'open'; stay 'reconnecting' until done
      await this.hello();
      let rid = this._allocRequestId();
      seatAnswer = this._expectSeatAnswer(rid);
      try {
        loginOk = await this._request({ reconnect: { session_token: this.session.session_token } }, { requestId: rid });
      } catch (err) {
        seatAnswer.cancel();
        if (err.code !== 'RECONNECT_EXPIRED' || !this._credentials) throw err;
        // The session is gone: log in again with the same credentials.
        resumed = false;
        rid = this._allocRequestId();
        seatAnswer = this._expectSeatAnswer(rid);
        const c = this._credentials;
        const login = c.kind === 'guest'
          ? { guest: { device_id: c.deviceId }, display_name: c.displayName || '' }
          : { password: { username: c.username, password: c.password, create: false } };
        try {
          loginOk = await this._request({ login }, { requestId: rid });
        } catch (loginErr) {
          seatAnswer.cancel();
          throw loginErr;
        }
      }
      if (loginOk.msg !== 'redirect') break;
      seatAnswer.cancel();
      this._reconnectElsewhere(loginOk.redirect, redirects);
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

  /**
   * Watches for the room's answer about a held seat (Joined, or RECONNECT_EXPIRED, with the
   * login's request id `rid`) before the login is sent, so it cannot slip past.
   */
  _expectSeatAnswer(rid) {
    this._reattachRid = rid;
    const answer = this._expect(
      (env) => env.request_id === rid &&
        (env.msg === 'joined' || (env.msg === 'error' && errorCodeName(env.error.code) === 'RECONNECT_EXPIRED')),
      this.options.seatRestoreTimeoutMs + this.options.requestTimeoutMs,
    );
    answer.catch(() => {});
    return answer;
  }

  // A Reconnect answered with Redirect{reconnect}: the session lives at that node. Leave this
  // connection and make that node home; the attempt goes on there with the same Reconnect.
  _reconnectElsewhere(r, redirectsSoFar) {
    const redirect = redirectOf(r);
    this._reattachRid = 0;
    if (!redirect.reconnect) throw new RookeryError('MALFORMED', 'a Reconnect was answered with the Redirect of a join');
    if (!this.options.followRedirects) {
      throw new RookeryError('REDIRECTED', `the session lives at node ${redirect.node || redirect.host}`, { redirect });
    }
    if (redirectsSoFar >= MAX_RECONNECT_REDIRECTS) {
      throw new RookeryError('CLUSTER_UNAVAILABLE', `redirected ${redirectsSoFar + 1} times without reaching the session`);
    }
    const ws = this._ws;
    this._ws = null; // the loop owns this socket: its close must not start another loop
    this._stopKeepAlive();
    if (ws) {
      try { ws.close(1000, 'redirected'); } catch { /* ignore */ }
    }
    this.url = redirectUrl(this.url, redirect);
    this._emit('redirect', { node: redirect.node, host: redirect.host, roomId: redirect.room_id, url: this.url, reconnect: true });
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

function redirectOf(r) {
  return {
    node: r.node, host: r.host, tcp_port: r.tcp_port, ws_port: r.ws_port, ticket: r.ticket,
    room_id: r.room_id, ttl_ms: r.ttl_ms, reconnect: Boolean(r.reconnect),
  };
}

function serverErrorOf(env) {
  const e = env.error;
  return new RookeryError(errorCodeName(e.code), e.message, { serverCode: e.code, fatal: e.fatal, requestId: env.request_id || 0 });
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
