/**
 * @sealwire/server — one fetch-first engine that opens sealed requests (wire
 * protocol v1 checks, in order) and seals every answer. Framework adapters
 * are subpath exports: `@sealwire/server/express`, `/koa`, `/fastify`,
 * `/fetch`, `/lambda`. No Node built-ins here: the engine runs on Workers,
 * Deno and Bun too.
 */
export { createSealwireServer } from './create-server.js'
export type { CheckedRequest, OpenOutcome, PrecheckOutcome, ReadOutcome, RouteOptions, SealwireServer } from './create-server.js'
export type { RefineOutcome, ReplyInput, SealwireExchange } from './exchange.js'
export type { FetchHandleOptions } from './handle-fetch.js'
export { incomingFromRequest, toResponse } from './handle-fetch.js'
export type { MeterProviderLike, SealwireServerOptions } from './options.js'
export { keysFromEnv, keysFromFile } from './load-keys.js'
export type { LazyServerKeys, ServerKeys } from './key-source.js'
export { CONDITIONAL_REQUEST_HEADERS, HANDLER_DROPPED_REQUEST_HEADERS } from './handler-request-headers.js'
export { PLAINTEXT_RESPONSE_HEADERS } from './responses.js'
export { METHOD_OVERRIDE_HEADERS } from './method-override.js'
export { FORWARDING_HEADERS } from './transport.js'
export { UNROUTED, routeLabel } from './events.js'
export type { BodyReader, BodySource, IncomingRequest, OutgoingResponse, SealwireEvent } from './types.js'

// The core pieces a server needs, so an app depends on one package.
export { KeyRing, MemoryReplayStore, MemorySessionStore, SealwireError, generateKeyPair } from '@sealwire/core'
export type { InferOutput, ReplayStore, RequestClaims, SealwireErrorCode, SessionRecord, SessionStore, StandardSchemaV1 } from '@sealwire/core'

// Behaviour guard and metrics.
export { COUNTED_FAILURES } from './guard/behaviour-guard.js'
export type { GuardOptions } from './guard/behaviour-guard.js'
export { DEFAULT_GUARD_BUDGET, DEFAULT_GUARD_COOL_DOWN_SECONDS, DEFAULT_GUARD_WINDOW_SECONDS, resolveGuardLimits } from './guard/guard-store.js'
export type { GuardLimits, GuardStore, ResolvedGuardLimits } from './guard/guard-store.js'
export { MemoryGuardStore } from './guard/memory-guard-store.js'
export type { MemoryGuardStoreOptions } from './guard/memory-guard-store.js'
export { clientAddress } from './guard/client-address.js'
export { METER_NAME } from './metrics.js'
