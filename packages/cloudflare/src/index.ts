/**
 * @sealwire/cloudflare — a replay guard on Cloudflare Durable Objects for
 * Sealwire servers on Workers: an atomic check-and-set per jti in the object
 * that owns it, shared by every isolate, failing closed.
 */
export { DurableObjectReplayStore, DEFAULT_KEY_PREFIX, DEFAULT_OBJECT_NAME, DEFAULT_SHARDS, DEFAULT_TIMEOUT_MS } from './durable-object-replay-store.js'
export type { DurableObjectReplayStoreOptions } from './durable-object-replay-store.js'
export { SealwireReplayObject } from './replay-object.js'
export { shardOf } from './shard.js'
export type { ReplayObjectNamespace, ReplayObjectState, ReplayObjectStorage, ReplayObjectStub } from './bindings.js'
