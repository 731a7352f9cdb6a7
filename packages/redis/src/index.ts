/**
 * @sealwire/redis — a replay guard on Redis for Sealwire servers: one atomic
 * `SET NX PX` per request, shared by every instance, failing closed; and the
 * stores of the behaviour guard and of sessions, shared the same way.
 */
export { RedisReplayStore } from './redis-replay-store.js'
export { DEFAULT_KEY_PREFIX, DEFAULT_TIMEOUT_MS } from './options.js'
export type { RedisReplayStoreOptions } from './options.js'
export type { ReplaySetClient, ReplaySetOptions } from './set-client.js'
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_RECONNECT_DELAY_MS, failFastClientOptions } from './fail-fast-client-options.js'
export type { FailFastClientOptions, FailFastTuning } from './fail-fast-client-options.js'
export { DEFAULT_BOOT_TIMEOUT_MS, RedisSetupError, connectFailFast } from './connect-fail-fast.js'
export type { ConnectFailFastOptions, ConnectableClient, RedisReport } from './connect-fail-fast.js'
export { RedisGuardStore } from './redis-guard-store.js'
export type { GuardRedisClient, RedisGuardStoreOptions } from './redis-guard-store.js'
export { RedisSessionStore } from './redis-session-store.js'
export type { RedisSessionStoreOptions, SessionRedisClient } from './redis-session-store.js'
