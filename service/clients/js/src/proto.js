// Protobuf messages of the Rookery wire protocol (generated static code, see scripts/gen-proto.mjs)
// and Envelope helpers. WebSocket: one binary message per Envelope, no length prefix.
import './long-setup.js';
import { rookery } from './gen/protos.js';

export const pb = rookery.proto;
export const { Envelope, ErrorCode, RoomState } = pb;
export const spelltractionPb = pb.spelltraction;
export const relayPb = pb.relay;

/** Protocol version this library speaks (Hello.protocol_version). */
export const PROTOCOL_VERSION = 1;

/** Every Envelope message name, as in the proto (snake_case). */
export const MESSAGE_NAMES = [
  'hello', 'welcome', 'login', 'login_ok', 'reconnect', 'list_rooms', 'room_list', 'create_room',
  'join_room', 'join_or_create', 'joined', 'leave', 'left', 'input', 'state', 'event', 'ping',
  'pong', 'error', 'get_leaderboard', 'leaderboard', 'redirect',
];

/**
 * Encodes an Envelope. `fields` is a plain object such as
 * `{ request_id: 3, login: { guest: { device_id: 'abc...' } } }`.
 * @returns {Uint8Array}
 */
export function encodeEnvelope(fields) {
  return Envelope.encode(Envelope.create(fields)).finish();
}

/**
 * Decodes one Envelope from bytes (Uint8Array, ArrayBuffer or a node Buffer). The result's
 * `msg` property names the message that is set (e.g. 'joined'), or is undefined.
 */
export function decodeEnvelope(bytes) {
  return Envelope.decode(toUint8Array(bytes));
}

/** The numeric ErrorCode's name, e.g. 12 -> 'ROOM_FULL'. */
export function errorCodeName(code) {
  return ErrorCode[code] ?? `ERROR_${code}`;
}

export function toUint8Array(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Uint8Array.from(data);
  throw new TypeError('expected bytes (Uint8Array or ArrayBuffer)');
}
