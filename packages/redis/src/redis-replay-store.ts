import { checkReplayInput, replayGuardUnavailable as unavailable, systemClock, withinDeadline, type Clock, type ReplayStore } from '@sealwire/core'
import { parseOptions, type RedisReplayStoreOptions } from './options.js'
import type { ReplaySetClient, ReplaySetOptions } from './set-client.js'

/** What a recorded key holds. Only the key's existence matters; the value is kept minimal. */
const MARK = '1'

/**
 * A replay store on Redis, shared by every server instance that points at the
 * same Redis: a request replayed against another instance is refused too.
 *
 * Each call is exactly one command, `SET <prefix><jti> 1 PX <ttl> NX`. Redis
 * runs commands one at a time, so of any number of concurrent calls with the
 * same jti, on any number of instances, exactly one gets `OK`; a GET followed
 * by a SET would let two of them both see "absent" and both pass (a replay
 * race, the TOCTOU this design stops).
 *
 * Fails closed: a Redis that is unreachable, errors (OOM under `noeviction`,
 * READONLY replica, ...), or does not answer within `timeoutMs` makes the call
 * reject, and `openRequest` answers 503 `replay_guard_unavailable` — never an
 * accepted request. A SET that timed out may still land later; that only
 * remembers a jti of a request that was refused, which is harmless.
 *
 * `rememberedSince` is left undefined: the store is treated as durable. That
 * holds only if Redis keeps its keys — see the README on persistence and
 * `maxmemory-policy noeviction`.
 *
 * @example
 * import { createClient } from 'redis'
 * import { RedisReplayStore, failFastClientOptions } from '@sealwire/redis'
 *
 * const client = createClient(failFastClientOptions({ url: process.env.REDIS_URL }))
 * client.on('error', (err) => log.warn({ err }, 'redis')) // without a listener, a Redis outage crashes the process
 * await client.connect()
 * const replayStore = new RedisReplayStore({ client })
 */
export class RedisReplayStore implements ReplayStore {
  /** The prefix every key of this store starts with. */
  readonly keyPrefix: string
  /** The per-call deadline, in milliseconds. */
  readonly timeoutMs: number
  readonly #client: ReplaySetClient
  readonly #clock: Clock

  constructor(options: RedisReplayStoreOptions) {
    const parsed = parseOptions(options)
    this.#client = parsed.client
    this.keyPrefix = parsed.keyPrefix
    this.timeoutMs = parsed.timeoutMs
    this.#clock = parsed.clock ?? systemClock
  }

  /**
   * Records `jti` until `expiresAt` unless it is already recorded.
   *
   * @returns `true` for a new jti, `false` for a replay.
   * @throws SealwireError `replay_guard_unavailable` when Redis cannot answer,
   *   and when `expiresAt` is not in the future (see below).
   */
  async checkAndSet(jti: string, expiresAt: number): Promise<boolean> {
    checkReplayInput(jti, expiresAt)
    // Rounded up: the key must live at least until expiresAt, never a fraction
    // of a millisecond less, or a replay could slip in at the window's edge.
    const ttl = Math.ceil(expiresAt - this.#clock())
    if (ttl < 1) {
      // An expiresAt already past means the caller's clock and ours disagree
      // (or a bug): we cannot know how long a replay of this request would
      // still pass its freshness check, so we cannot vouch for it. Refusing
      // fails closed; recording it for 1 ms would accept it with no protection.
      throw unavailable(new RangeError(`expiresAt is ${-ttl} ms in the past by the store's clock`))
    }

    const options: ReplaySetOptions = { condition: 'NX', expiration: { type: 'PX', value: ttl } }
    const reply = await withinDeadline(this.#client.set(this.keyPrefix + jti, MARK, options), this.timeoutMs, 'Redis did not answer SET NX')

    if (isOk(reply)) return true
    if (reply === null) return false
    // Neither "set" nor "already there": a misconfigured adapter or type
    // mapping. Treating it as either answer would be a guess; refuse instead.
    throw unavailable(new TypeError(`unexpected reply to SET NX: ${describe(reply)}`))
  }
}

/** `'OK'`, also when a RESP type mapping hands simple strings back as bytes. */
function isOk(reply: unknown): boolean {
  if (reply === 'OK') return true
  return reply instanceof Uint8Array && reply.length === 2 && reply[0] === 0x4f && reply[1] === 0x4b
}

function describe(reply: unknown): string {
  return reply === undefined ? 'undefined' : typeof reply === 'string' ? 'a string other than OK' : typeof reply
}
