import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { checkReplayInput, replayGuardUnavailable as unavailable, systemClock, withinDeadline, type Clock, type ReplayStore } from '@sealwire/core'
import { parseOptions, type DynamoDBReplayStoreOptions } from './options.js'
import { EXPIRY_MS_ATTRIBUTE, PARTITION_KEY, TTL_ATTRIBUTE } from './replay-table-definition.js'
import type { ReplaySendClient } from './send-client.js'

/**
 * The write succeeds when no item holds the key, or when the one there has
 * expired: DynamoDB's TTL sweeper deletes expired items lazily (typically
 * within days), so an expired item may still be read; it must not block a
 * new request. The comparison is in milliseconds, on the exact expiry.
 */
const CONDITION = `attribute_not_exists(${PARTITION_KEY}) OR ${EXPIRY_MS_ATTRIBUTE} <= :now`

/**
 * A replay store on DynamoDB, shared by every instance (every warm Lambda
 * execution environment) that writes to the same table: a request replayed
 * against another instance is refused too.
 *
 * Each call is exactly one conditional `PutItem`. DynamoDB applies the
 * condition and the write atomically per item, so of any number of
 * concurrent calls with the same jti, on any number of instances, exactly
 * one succeeds; the others get `ConditionalCheckFailedException` (a replay).
 * A GetItem followed by a PutItem would let two of them both see "absent"
 * and both pass (the TOCTOU this design stops).
 *
 * Fails closed: an unreachable endpoint, throttling, missing permissions, a
 * missing table, or no answer within `timeoutMs` (the SDK's own retries
 * included; the call is then aborted) make the call reject, and `openRequest`
 * answers 503 `replay_guard_unavailable` — never an accepted request. A write
 * that timed out may still land later; that only remembers the jti of a
 * request that was refused, which is harmless.
 *
 * `rememberedSince` is left undefined: DynamoDB is durable.
 *
 * @example
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
 * import { DynamoDBReplayStore } from '@sealwire/dynamodb'
 *
 * // Module scope: created once per execution environment, reused by every warm invocation.
 * const replayStore = new DynamoDBReplayStore({ client: new DynamoDBClient({}), tableName: process.env.SEALWIRE_REPLAY_TABLE! })
 */
export class DynamoDBReplayStore implements ReplayStore {
  /** The table every jti is written to. */
  readonly tableName: string
  /** The prefix every key of this store starts with. */
  readonly keyPrefix: string
  /** The per-call deadline, in milliseconds. */
  readonly timeoutMs: number
  readonly #client: ReplaySendClient
  readonly #clock: Clock

  constructor(options: DynamoDBReplayStoreOptions) {
    const parsed = parseOptions(options)
    this.#client = parsed.client
    this.tableName = parsed.tableName
    this.keyPrefix = parsed.keyPrefix
    this.timeoutMs = parsed.timeoutMs
    this.#clock = parsed.clock ?? systemClock
  }

  /**
   * Records `jti` until `expiresAt` unless a live record of it exists.
   *
   * @returns `true` for a new jti, `false` for a replay.
   * @throws SealwireError `replay_guard_unavailable` when DynamoDB cannot answer,
   *   and when `expiresAt` is not in the future (see below).
   */
  async checkAndSet(jti: string, expiresAt: number): Promise<boolean> {
    checkReplayInput(jti, expiresAt)
    const now = this.#clock()
    // Rounded up: the record must live at least until expiresAt, never a
    // fraction of a millisecond less, or a replay could slip in at the window's edge.
    const expiresAtMs = Math.ceil(expiresAt)
    if (expiresAtMs <= now) {
      // An expiresAt already past means the caller's clock and ours disagree
      // (or a bug): we cannot know how long a replay of this request would
      // still pass its freshness check, so we cannot vouch for it. Refusing
      // fails closed; recording an expired item would accept it unprotected.
      throw unavailable(new RangeError(`expiresAt is ${now - expiresAtMs} ms in the past by the store's clock`))
    }

    const command = new PutItemCommand({
      TableName: this.tableName,
      Item: {
        [PARTITION_KEY]: { S: this.keyPrefix + jti },
        [TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAtMs / 1000)) },
        [EXPIRY_MS_ATTRIBUTE]: { N: String(expiresAtMs) },
      },
      ConditionExpression: CONDITION,
      ExpressionAttributeValues: { ':now': { N: String(Math.floor(now)) } },
    })
    const abort = new AbortController()
    try {
      // Past the deadline the call is aborted, which stops the SDK's retries too:
      // without it, its back-off would go on after the request was answered.
      await withinDeadline(this.#client.send(command, { abortSignal: abort.signal }), this.timeoutMs, 'DynamoDB did not answer PutItem', () => abort.abort())
      return true
    } catch (error) {
      // By name, not instanceof: the app's SDK copy may not be the one this package sees.
      if ((error as { cause?: { name?: unknown } }).cause?.name === 'ConditionalCheckFailedException') return false
      throw error
    }
  }
}
