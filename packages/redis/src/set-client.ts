/**
 * The one Redis capability the replay store needs, typed structurally so that
 * the store never imports a Redis library: node-redis (v5+) clients satisfy it
 * as they are; ioredis and others pass a three-line adapter.
 */

/**
 * Options of the one command the store sends, in node-redis v5+ shape:
 * `SET key value PX <expiration.value> NX`.
 */
export interface ReplaySetOptions {
  /** Always `'NX'`: set only if the key does not exist yet. This is what makes check-and-set atomic. */
  readonly condition: 'NX'
  /** Always `PX`: time to live in whole milliseconds, at least 1. */
  readonly expiration: { readonly type: 'PX'; readonly value: number }
}

/**
 * Anything with node-redis's `set(key, value, options)`: resolves `'OK'` when
 * the key was set and `null` when it already existed (`NX` refused). Any other
 * reply, a rejection or no answer in time makes the store fail closed.
 *
 * @example ioredis adapter
 * import Redis from 'ioredis'
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
 * const client: ReplaySetClient = {
 *   set: (key, value, { expiration }) => redis.set(key, value, 'PX', expiration.value, 'NX'),
 * }
 */
export interface ReplaySetClient {
  // The reply is typed loosely on purpose: node-redis types it through its RESP
  // type mapping, ioredis as `'OK' | null`; the store checks the value at run time.
  set(key: string, value: string, options: ReplaySetOptions): PromiseLike<unknown>
}
