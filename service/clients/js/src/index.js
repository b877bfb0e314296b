// @rookery/client: the Rookery game protocol for browsers and node >= 20.
export { RookeryClient, RookeryError, VERSION, redirectUrl } from './client.js';
export {
  pb, Envelope, ErrorCode, RoomState, spelltractionPb, relayPb, PROTOCOL_VERSION, MESSAGE_NAMES,
  encodeEnvelope, decodeEnvelope, errorCodeName, toUint8Array,
} from './proto.js';
export * as spelltraction from './spelltraction.js';
export { SpellTractionState, encodeMove, cellAt, cellCenter } from './spelltraction.js';
