import type { Clock } from '@sealwire/core'
import { z } from 'zod'
import type { ReplaySendClient } from './send-client.js'

/** Key prefix used when none is given: items are keyed `sealwire:jti:<jti>`. */
export const DEFAULT_KEY_PREFIX = 'sealwire:jti:'

/** Per-call deadline used when none is given, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 1_000

export interface DynamoDBReplayStoreOptions {
  /**
   * A `DynamoDBClient` from `@aws-sdk/client-dynamodb` v3 (or anything with its
   * `send(command, { abortSignal })`). Create it once, at module scope, so
   * that warm invocations reuse its connections. Its lifecycle is yours.
   */
  client: ReplaySendClient
  /** The table, made as `replayTableDefinition` describes: partition key `pk` (string), TTL on `expiresAt`. */
  tableName: string
  /**
   * Prepended to every jti. Give each application (or key ring) sharing a
   * table its own, so that their jtis cannot collide. Default `sealwire:jti:`.
   */
  keyPrefix?: string
  /**
   * Longest wait for DynamoDB, per call, retries included, in milliseconds.
   * Past it the call is aborted and the request refused with 503
   * `replay_guard_unavailable`. Default 1000.
   */
  timeoutMs?: number
  /** Time source for expiry; the same clock the server passes to `openRequest`. Default `Date.now`. */
  clock?: Clock
}

const isSendClient = (value: unknown): value is ReplaySendClient =>
  typeof value === 'object' && value !== null && typeof (value as { send?: unknown }).send === 'function'

const optionsSchema = z.strictObject({
  client: z.custom<ReplaySendClient>(isSendClient, { message: 'expected a DynamoDBClient (an object with a send(command) method)' }),
  // DynamoDB table names: 3 to 255 of [A-Za-z0-9_.-].
  tableName: z.string().regex(/^[\w.-]{3,255}$/, { message: 'expected a DynamoDB table name: 3 to 255 letters, digits, _ . -' }),
  // Bounded so a key stays small: every accepted request stores prefix + jti (a key is at most 2048 bytes).
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
  if (!result.success) throw new TypeError(`DynamoDBReplayStore: invalid options\n${z.prettifyError(result.error)}`)
  return result.data
}
