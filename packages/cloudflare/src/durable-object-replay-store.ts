import { checkReplayInput, replayGuardUnavailable as unavailable, withinDeadline, type ReplayStore } from '@sealwire/core'
import type { ReplayObjectNamespace, ReplayObjectStub } from './bindings.js'
import { MAX_KEY_LENGTH, OBJECT_URL, type CheckAnswer } from './replay-object-protocol.js'
import { shardOf } from './shard.js'

/** Key prefix used when none is given: records read `sealwire:jti:<jti>`. */
export const DEFAULT_KEY_PREFIX = 'sealwire:jti:'

/** Object-name prefix used when none is given: objects are named `sealwire-replay:0` … `sealwire-replay:<shards − 1>`. */
export const DEFAULT_OBJECT_NAME = 'sealwire-replay'

/** Objects the jtis are spread over when not told. */
export const DEFAULT_SHARDS = 8

/** Per-call deadline used when none is given, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 1_000

export interface DurableObjectReplayStoreOptions {
  /** The Durable Object namespace binding of `SealwireReplayObject` (`env.SEALWIRE_REPLAY`). */
  namespace: ReplayObjectNamespace
  /**
   * How many objects the jtis are spread over, by a hash of each. One object
   * serves some hundreds of checks a second; more shards, more throughput.
   * Every Worker of an app must use the same count: changing it moves jtis
   * to other objects, so change it only with a deployment pause longer than
   * `maxAge + maxSkew + replayMargin` (70 s by default). Default 8, at most 1024.
   */
  shards?: number
  /** Prefix of the objects' names, `<objectName>:<shard>`. Default `sealwire-replay`. */
  objectName?: string
  /** Prepended to every jti. Give each application sharing a namespace its own. Default `sealwire:jti:`. */
  keyPrefix?: string
  /** Longest wait for the object, per call, in milliseconds; past it the request gets 503. Default 1000. */
  timeoutMs?: number
}

function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(`DurableObjectReplayStore: ${name} must be an integer from ${min} to ${max}`)
  }
  return value
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw new TypeError(`DurableObjectReplayStore: ${name} must be 1 to 256 characters`)
  return value
}

/**
 * A replay store on Cloudflare Durable Objects, for Workers (and anything
 * with a Durable Object namespace binding): every isolate, in every location,
 * asks the one object that owns a jti, so a request replayed to another
 * isolate is refused too — which a per-isolate memory store cannot do.
 *
 * Each call is one request to one `SealwireReplayObject`, chosen by a hash of
 * the jti over `shards` objects; the object's check-and-set is atomic (one
 * event at a time, storage input gates).
 *
 * Fails closed: an object that errors, is overloaded, answers anything
 * unexpected, or does not answer within `timeoutMs` makes the call reject,
 * and `openRequest` answers 503 `replay_guard_unavailable`.
 *
 * Expiry is judged by the object's clock: `expiresAt` already past there is
 * refused (503), never recorded unprotected.
 *
 * @example
 * import { createSealwireServer } from '@sealwire/server'
 * import { withSealwire } from '@sealwire/server/fetch'
 * import { DurableObjectReplayStore } from '@sealwire/cloudflare'
 * export { SealwireReplayObject } from '@sealwire/cloudflare'
 *
 * let handler
 * export default {
 *   fetch(request, env) {
 *     handler ??= withSealwire(
 *       createSealwireServer({ keys: JSON.parse(env.SEALWIRE_PRIVATE_JWKS), replayStore: new DurableObjectReplayStore({ namespace: env.SEALWIRE_REPLAY }) }),
 *       (req) => Response.json({ ok: true }),
 *     )
 *     return handler(request)
 *   },
 * }
 */
export class DurableObjectReplayStore implements ReplayStore {
  /** The prefix every record of this store starts with. */
  readonly keyPrefix: string
  /** How many objects the jtis are spread over. */
  readonly shards: number
  /** The per-call deadline, in milliseconds. */
  readonly timeoutMs: number
  readonly #namespace: ReplayObjectNamespace
  readonly #objectName: string

  constructor(options: DurableObjectReplayStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('DurableObjectReplayStore: expected options { namespace }')
    const known = new Set(['namespace', 'shards', 'objectName', 'keyPrefix', 'timeoutMs'])
    const unknown = Object.keys(options).filter((k) => !known.has(k))
    if (unknown.length > 0) throw new TypeError(`DurableObjectReplayStore: unknown option(s): ${unknown.join(', ')}`)
    const ns = options.namespace as Partial<ReplayObjectNamespace> | undefined
    if (typeof ns?.idFromName !== 'function' || typeof ns.get !== 'function') {
      throw new TypeError('DurableObjectReplayStore: namespace must be the Durable Object namespace binding of SealwireReplayObject (env.SEALWIRE_REPLAY)')
    }
    this.#namespace = options.namespace
    this.shards = integer(options.shards ?? DEFAULT_SHARDS, 'shards', 1, 1024)
    this.#objectName = text(options.objectName ?? DEFAULT_OBJECT_NAME, 'objectName')
    this.keyPrefix = text(options.keyPrefix ?? DEFAULT_KEY_PREFIX, 'keyPrefix')
    this.timeoutMs = integer(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs', 1, 60_000)
  }

  /**
   * Records `jti` until `expiresAt` unless a live record of it exists.
   *
   * @returns `true` for a new jti, `false` for a replay.
   * @throws SealwireError `replay_guard_unavailable` when the object cannot answer,
   *   and when `expiresAt` is not in the future by the object's clock.
   */
  async checkAndSet(jti: string, expiresAt: number): Promise<boolean> {
    checkReplayInput(jti, expiresAt)
    const key = this.keyPrefix + jti
    if (key.length > MAX_KEY_LENGTH) throw unavailable(new RangeError(`jti is longer than ${MAX_KEY_LENGTH - this.keyPrefix.length} characters`))
    // Rounded up: held at least until expiresAt, never a fraction of a millisecond less.
    const body = JSON.stringify({ key, expiresAt: Math.ceil(expiresAt) })

    const call = async () => {
      const response = await this.#stub(key).fetch(OBJECT_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      return { status: response.status, answer: (await response.json().catch(() => undefined)) as (Partial<CheckAnswer> & { error?: unknown }) | undefined }
    }
    const { status, answer } = await withinDeadline(call(), this.timeoutMs, 'the replay Durable Object did not answer')
    if (status === 200 && typeof answer?.accepted === 'boolean') return answer.accepted
    // Expired by the object's clock, overloaded, an old object version...: never a guess.
    throw unavailable(new Error(`the replay Durable Object answered ${status}${typeof answer?.error === 'string' ? `: ${answer.error}` : ''}`))
  }

  /**
   * A stub per call, never kept: a stub is cheap, and one kept across
   * requests would outlive a reset of its object (a deployment) and keep failing.
   */
  #stub(key: string): ReplayObjectStub {
    return this.#namespace.get(this.#namespace.idFromName(`${this.#objectName}:${shardOf(key, this.shards)}`) as never)
  }
}
