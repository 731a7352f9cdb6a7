import type { Clock } from '@sealwire/core'
import { z } from 'zod'
import type { ReplaySetClient } from './set-client.js'

/** Key prefix used when none is given: keys read `sealwire:jti:<jti>`. */
export const DEFAULT_KEY_PREFIX = 'sealwire:jti:'

/** Per-call deadline used when none is given, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 500

export interface RedisReplayStoreOptions {
  /**
   * A connected client with `set(key, value, { condition: 'NX', expiration: { type: 'PX', value } })`:
   * a node-redis v5+ client (create it with `failFastClientOptions`), or an adapter over another client.
   * The store never connects, closes or listens on it: its lifecycle is yours.
   */
  client: ReplaySetClient
  /**
   * Prepended to every jti. Give each application (or each key ring) sharing a
   * Redis its own, so that their jtis cannot collide. Default `sealwire:jti:`.
   */
  keyPrefix?: string
  /**
   * Longest wait for Redis, per call, in milliseconds. Past it the call
   * rejects and the request is refused with 503 `replay_guard_unavailable`,
   * so a hung Redis cannot hang requests. Default 500.
   */
  timeoutMs?: number
  /** Time source for the TTL; the same clock the server passes to `openRequest`. Default `Date.now`. */
  clock?: Clock
}

const isSetClient = (value: unknown): value is ReplaySetClient =>
  typeof value === 'object' && value !== null && typeof (value as { set?: unknown }).set === 'function'

const optionsSchema = z.strictObject({
  client: z.custom<ReplaySetClient>(isSetClient, { message: 'expected a Redis client with a set(key, value, options) method' }),
  // Bounded so a key stays small: every accepted request stores prefix + jti.
  keyPrefix: z.string().min(1).max(256).default(DEFAULT_KEY_PREFIX),
  // Upper bound: a request that waits a minute on its replay guard is already a failure.
  timeoutMs: z.number().int().min(1).max(60_000).default(DEFAULT_TIMEOUT_MS),
  clock: z.custom<Clock>((value) => typeof value === 'function', { message: 'expected a function returning ms since the epoch' }).optional(),
})

export type ParsedOptions = z.output<typeof optionsSchema>

/**
 * Validates options once, when the store is built. Caller misuse is a
 * `TypeError` at construction, never a surprise on the request path.
 */
export function parseOptions(options: unknown): ParsedOptions {
  const result = optionsSchema.safeParse(options)
  if (!result.success) throw new TypeError(`RedisReplayStore: invalid options\n${z.prettifyError(result.error)}`)
  return result.data
}
