// A tiny Rookery game client over raw TCP for the admin tests: u32 little-endian length +
// protobuf Envelope, with the schema loaded at run time from service/proto/rookery.proto.
// It says Hello, logs in as a guest, joins rooms and keeps pinging; every message it receives
// (except the per-tick State) is kept so tests can wait for events.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROTO = path.resolve(here, '../../../service/proto/rookery.proto');

let schema = null;
function loadSchema() {
  if (!schema) {
    const root = new protobuf.Root();
    root.loadSync(PROTO, { keepCase: true });
    root.resolveAll();
    schema = {
      Envelope: root.lookupType('rookery.proto.Envelope'),
      ErrorCode: root.lookupEnum('rookery.proto.ErrorCode'),
    };
  }
  return schema;
}

/** The name of an ErrorCode number ("BANNED"). */
export function errorName(code) {
  const { ErrorCode } = loadSchema();
  return typeof code === 'string' ? code : ErrorCode.valuesById[code];
}

export function randomDeviceId() {
  return `admin-test-${crypto.randomBytes(8).toString('hex')}`;
}

export class GameClient extends EventEmitter {
  /** Connects to the game TCP port. */
  static connect({ host = '127.0.0.1', port }) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const c = new GameClient(socket);
      socket.once('connect', () => resolve(c));
      socket.once('error', reject);
    });
  }

  /** Connects, says Hello, logs in as a guest; optionally joins a room type. */
  static async guest({ port, host, deviceId = randomDeviceId(), displayName, joinType } = {}) {
    const c = await GameClient.connect({ host, port });
    c.deviceId = deviceId;
    try {
      await c.hello();
      const ok = await c.loginGuest(deviceId, displayName);
      if (ok.msg !== 'login_ok') throw new Error(`login failed: ${c.describe(ok)}`);
      c.playerId = Number(ok.login_ok.player_id);
      c.displayName = ok.login_ok.display_name;
      c.startPinging();
      if (joinType) {
        const j = await c.joinOrCreate(joinType);
        if (j.msg !== 'joined') throw new Error(`join failed: ${c.describe(j)}`);
      }
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  constructor(socket) {
    super();
    this.socket = socket;
    this.nextId = 1;
    this.buffer = Buffer.alloc(0);
    this.received = []; // every Envelope but State, as plain objects
    this.states = 0;
    this.roomId = 0;
    this.isClosed = false;
    this.pingTimer = null;
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        if (this.pingTimer) clearInterval(this.pingTimer);
        this.emit('closed');
        resolve();
      });
    });
    socket.on('error', () => {}); // reset by the server is an expected outcome in these tests
    socket.on('data', (chunk) => this.onData(chunk));
  }

  onData(chunk) {
    const { Envelope } = loadSchema();
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const len = this.buffer.readUInt32LE(0);
      if (this.buffer.length < 4 + len) break;
      const bytes = this.buffer.subarray(4, 4 + len);
      this.buffer = this.buffer.subarray(4 + len);
      const env = Envelope.toObject(Envelope.decode(bytes), {
        longs: Number,
        enums: String,
        bytes: Buffer,
        oneofs: true,
        defaults: true,
      });
      if (env.msg === 'state') {
        this.states += 1;
        continue;
      }
      if (env.msg === 'joined') this.roomId = Number(env.joined.room.room_id);
      if (env.msg === 'left') this.roomId = 0;
      this.received.push(env);
      if (this.received.length > 5000) this.received.splice(0, 1000);
      this.emit('message', env);
    }
  }

  /** Sends one Envelope with `field` set to `body`; returns its request id. */
  send(field, body = {}) {
    const { Envelope } = loadSchema();
    const requestId = this.nextId++;
    const payload = { request_id: requestId, [field]: body };
    const err = Envelope.verify(payload);
    if (err) throw new Error(`bad ${field}: ${err}`);
    const bytes = Envelope.encode(Envelope.create(payload)).finish();
    const frame = Buffer.alloc(4 + bytes.length);
    frame.writeUInt32LE(bytes.length, 0);
    Buffer.from(bytes).copy(frame, 4);
    if (!this.isClosed) this.socket.write(frame);
    return requestId;
  }

  /** Resolves with the first received Envelope matching `pred` (earlier ones count too). */
  waitFor(pred, timeoutMs = 5000, what = 'message') {
    const found = this.received.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onMsg = (env) => {
        if (pred(env)) {
          cleanup();
          resolve(env);
        }
      };
      const onClose = () => {
        cleanup();
        reject(new Error(`connection closed while waiting for ${what}; got: ${this.summary()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got: ${this.summary()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('message', onMsg);
        this.off('closed', onClose);
      };
      this.on('message', onMsg);
      this.on('closed', onClose);
    });
  }

  /** Sends a request and waits for the reply carrying its request id. */
  /** A fatal Error sent while closing (request_id 0) also counts as the reply. */
  async request(field, body, timeoutMs = 5000) {
    const id = this.send(field, body);
    return this.waitFor(
      (e) => e.request_id === id || (e.msg === 'error' && e.request_id === 0 && e.error.fatal),
      timeoutMs,
      `reply to ${field}`,
    );
  }

  hello() {
    return this.request('hello', { protocol_version: 1, client: 'rookery-admin-tests/0.1' });
  }

  loginGuest(deviceId, displayName) {
    const login = { guest: { device_id: deviceId } };
    if (displayName) login.display_name = displayName;
    return this.request('login', login, 10000);
  }

  joinOrCreate(type) {
    return this.request('join_or_create', { type });
  }

  joinRoom(roomId) {
    return this.request('join_room', { room_id: roomId });
  }

  startPinging(everyMs = 3000) {
    if (this.pingTimer) return;
    this.pingTimer = setInterval(() => {
      if (!this.isClosed) this.send('ping', { client_time: Date.now() });
    }, everyMs);
    this.pingTimer.unref();
  }

  /** Resolves true if the socket closes within `timeoutMs`, false otherwise. */
  async waitClosed(timeoutMs = 5000) {
    if (this.isClosed) return true;
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const r = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return r;
  }

  errors() {
    return this.received.filter((e) => e.msg === 'error').map((e) => ({ ...e.error, code: errorName(e.error.code) }));
  }

  describe(env) {
    if (!env) return 'nothing';
    if (env.msg === 'error') return `Error ${errorName(env.error.code)}: ${env.error.message}`;
    return `${env.msg} ${JSON.stringify(env[env.msg])}`;
  }

  summary() {
    return this.received.slice(-8).map((e) => this.describe(e)).join(' | ') || 'nothing';
  }

  close() {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.socket.destroy();
  }
}
