import { resolveGuardLimits, type GuardLimits, type GuardStore, type ResolvedGuardLimits } from '@sealwire/server'

/** The Redis commands the guard store sends, in node-redis v5+ shape (a client or a cluster). */
export interface GuardRedisClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): PromiseLike<unknown>
  pTTL(key: string): PromiseLike<unknown>
}

export interface RedisGuardStoreOptions extends GuardLimits {
  /** A connected node-redis v5+ client or cluster (create it with `failFastClientOptions`). Its lifecycle is yours. */
  client: GuardRedisClient
  /** Prepended to every key. Default `sealwire:guard:`. */
  keyPrefix?: string
}

/**
 * One failure, atomically: count it in a window that starts with the first
 * failure; on reaching the budget, set the block key for the cooling period
 * and start counting afresh. A script, so that instances racing on one peer
 * can neither lose a count nor both skip the block.
 */
const RECORD_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return tonumber(ARGV[3])
end
return 0`

/**
 * Behaviour guard counters in Redis, shared by every instance: a peer gets its
 * budget once across all of them. Two keys per peer, both expiring on their
 * own (`<prefix>{peer}:n` counts, `<prefix>{peer}:blocked` blocks); the hash
 * tag `{peer}` keeps both in one Redis Cluster slot, as a script needs.
 *
 * A store that fails or is slow lets requests through (see the server's
 * `guard.timeoutMs`): the guard brakes abuse, it never takes the service down
 * with Redis.
 *
 * @example
 * import { RedisGuardStore } from '@sealwire/redis'
 * const sealwire = createSealwireServer({
 *   keys, replayStore,
 *   guard: { store: new RedisGuardStore({ client, budget: 20, windowSeconds: 60, coolDownSeconds: 60 }) },
 * })
 */
export class RedisGuardStore implements GuardStore {
  readonly #client: GuardRedisClient
  readonly #limits: ResolvedGuardLimits
  readonly #prefix: string

  constructor(options: RedisGuardStoreOptions) {
    const client = options.client as Partial<GuardRedisClient> | undefined
    if (typeof client?.eval !== 'function' || typeof client.pTTL !== 'function') {
      throw new TypeError('RedisGuardStore: client must be a node-redis client or cluster (eval and pTTL)')
    }
    this.#client = options.client
    this.#limits = resolveGuardLimits(options, 'RedisGuardStore')
    this.#prefix = options.keyPrefix ?? 'sealwire:guard:'
    if (this.#prefix === '' || this.#prefix.length > 256) throw new TypeError('RedisGuardStore: keyPrefix must be 1 to 256 characters')
  }

  async blockedFor(peer: string): Promise<number> {
    const ttl = Number(await this.#client.pTTL(this.#key(peer, 'blocked')))
    // -2: no key, -1: no expiry (never set by us). Only a positive TTL blocks.
    return Number.isFinite(ttl) && ttl > 0 ? ttl : 0
  }

  async recordFailure(peer: string): Promise<number> {
    const { budget, windowMs, coolDownMs } = this.#limits
    const reply = await this.#client.eval(RECORD_FAILURE, {
      keys: [this.#key(peer, 'n'), this.#key(peer, 'blocked')],
      arguments: [String(budget), String(windowMs), String(coolDownMs)],
    })
    return Number(reply) || 0
  }

  #key(peer: string, part: string): string {
    // Braces inside the peer would break the hash tag; escape them (and the
    // escape character) so distinct peers never share a key: `a{b` ≠ `a_b`.
    return `${this.#prefix}{${peer.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}}:${part}`
  }
}
