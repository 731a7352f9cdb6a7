/**
 * @sealwire/core — wire protocol v1: seal and open API payloads as JWE
 * (ECDH-ES + A256GCM), keys and key rings, replay guard, errors.
 * Runtime-agnostic: WebCrypto through jose, no Node built-ins — except on Node,
 * where the `node` condition swaps in node:crypto (`@sealwire/core/node`).
 */
export * from './constants.js'
export { ERROR_CODES, ERROR_TABLE, PRE_DECRYPTION_CODES, SealwireError, isSealwireError, isSealwireErrorCode, problemType } from './errors.js'
export type { PayloadIssue, SealwireErrorCode, SealwireErrorOptions } from './errors.js'
export { PROBLEM_MEDIA_TYPE, renderProblem, toProblem } from './problem.js'
export type { Problem } from './problem.js'
export { systemClock, systemRandom } from './runtime.js'
export type { Clock, RandomSource } from './runtime.js'
export { epkSchema, requestHeaderSchema, requestPlaintextSchema, responseHeaderSchema } from './schemas.js'
export type { RequestHeader, RequestPlaintext, ResponseHeader } from './schemas.js'
export { isStandardSchema, standardIssues, validateBody } from './standard-schema.js'
export type { InferOutput, StandardIssue, StandardResult, StandardSchemaV1, ValidateOutcome } from './standard-schema.js'

export { CURVES, generateKeyPair, importPrivateJwk, importPublicJwk, thumbprint, toPublicJwk } from './keys/jwk.js'
export type { Curve, JwkSet, PrivateJwk, PublicJwk } from './keys/jwk.js'
export { KeyRing } from './keys/key-ring.js'
export type { KeyRingOptions, PersistedPrivateJwk, RingKey } from './keys/key-ring.js'
export { importRecipientKey } from './keys/recipient-key.js'
export type { RecipientKey } from './keys/recipient-key.js'

export type { ReplayStore } from './replay/replay-store.js'
export { DEFAULT_MEMORY_REPLAY_MAX_ENTRIES, DEFAULT_REPLAY_TTL_SECONDS, MEMORY_REPLAY_DESIGN_RATE, MemoryReplayStore } from './replay/memory-replay-store.js'
export type { MemoryReplayStoreOptions } from './replay/memory-replay-store.js'
export { checkReplayInput, raceDeadline, replayGuardUnavailable, withinDeadline } from './replay/shared-store-call.js'

export type { CryptoBackend, EphemeralPublicJwk } from './crypto/backend.js'
export { joseBackend } from './crypto/jose-backend.js'
export { defaultBackend } from './crypto/default-backend.js'

export { envelopePlacement } from './protocol/request-descriptor.js'
export type { ReplyContext, RequestDescriptor } from './protocol/request-descriptor.js'
export { decodeProtectedHeader, payloadIssues } from './protocol/compact.js'
export { normalizeOrigin, originFromRequest } from './protocol/origin.js'
export { replyContextOf } from './protocol/reply-errors.js'
export {
  DEFAULT_SEALED_REQUEST_HEADERS,
  DEFAULT_SEALED_RESPONSE_HEADERS,
  MAX_SEALED_FIELDS,
  MAX_SEALED_HEAD_CHARS,
  RESPONSE_HEAD_TYP,
  SEALED_HEAD_PARAM,
  SEALED_HEAD_VERSION,
  checkSealedHead,
  isSealedHeadCrit,
  unsealableReason,
} from './protocol/sealed-head.js'
export type { SealedRequestHead } from './protocol/sealed-head.js'
export { sealRequest } from './protocol/seal-request.js'
export type { SealRequestOptions, SealedRequest } from './protocol/seal-request.js'
export { openRequest } from './protocol/open-request.js'
export type { OpenRequestOptions, OpenedRequest, RequestClaims } from './protocol/open-request.js'
export { sealResponse } from './protocol/seal-response.js'
export type { SealResponseOptions, SealResponseStreamOptions, SealedResponseStream } from './protocol/seal-response.js'
export { openResponse } from './protocol/open-response.js'
export type { OpenResponseOptions, OpenedResponse, OpenedResponseStream } from './protocol/open-response.js'

// Sealed streams (docs/PROTOCOL.md §12): SSE, NDJSON and large bodies in authenticated records.
// The records themselves (reader, writer, web-stream forms, header-line split) are
// `@sealwire/core/stream`: an entry of their own, so that a browser bundle, whose first
// chunk every request loads, can leave them to a lazy chunk.
export { deriveStreamKey } from './stream/stream-key.js'
export type { StreamDirection, StreamKey } from './stream/stream-key.js'
export type { RecordReader } from './stream/record-reader.js'
export type { RecordWriter } from './stream/record-writer.js'

// Sessions (docs/PROTOCOL.md §11): one key agreement per session, not per request.
export {
  DEFAULT_SESSION_TTL_SECONDS,
  MAX_SESSION_TTL_SECONDS,
  SESSION_CLIENT_KEY_MEMBER,
  SESSION_ID_BYTES,
  SESSION_ID_PARAM,
  SESSION_PARAM,
  SESSION_REQUEST_INFO,
  SESSION_SECRET_INFO,
} from './session/session-constants.js'
export type { SessionRecord, SessionStore } from './session/session-store.js'
export { DEFAULT_MEMORY_SESSION_MAX_ENTRIES, MemorySessionStore } from './session/memory-session-store.js'
export type { MemorySessionStoreOptions } from './session/memory-session-store.js'
export { deriveSessionRequestKey, deriveSessionSecret } from './session/session-kdf.js'
export type { SessionBinding } from './session/session-kdf.js'
export { establishSession } from './session/establish-session.js'
export type { EstablishSessionOptions, SessionAnnouncement } from './session/establish-session.js'
export { acceptSession, offerSession } from './session/client-session.js'
export type { ClientSession, SessionOffer } from './session/client-session.js'
