import { CURVES, raceDeadline, systemClock, type Clock, type Curve, type SessionRecord, type SessionStore } from '@sealwire/core'

/**
 * The Redis commands the session store sends, in node-redis v5+ shape: a
 * client, or a cluster (`masters` and `nodeClient`, for `revokeAll`).
 */
export interface SessionRedisClient {
  set(key: string, value: string, options: { expiration: { type: 'PX'; value: number } }): PromiseLike<unknown>
  get(key: string): PromiseLike<unknown>
  scanIterator?(options: { MATCH: string; COUNT: number }): AsyncIterable<readonly unknown[]>
  unlink?(keys: string | string[]): PromiseLike<unknown>
}

export interface RedisSessionStoreOptions {
  /** A connected node-redis v5+ client or cluster (create it with `failFastClientOptions`). Its lifecycle is yours. */
  client: SessionRedisClient
  /** Prepended to every session id; `revokeAll` deletes every key under it. Default `sealwire:ses:`. */
  keyPrefix?: string
  /** Longest wait for Redis, per call, in milliseconds; past it the call fails (and fails closed). Default 500. */
  timeoutMs?: number
  /** Time source for the TTL; the server's clock. Default `Date.now`. */
  clock?: Clock
}

interface Cluster {
  readonly masters: readonly unknown[]
  nodeClient(node: unknown): PromiseLike<SessionRedisClient>
}
const isCluster = (c: unknown): c is Cluster => Array.isArray((c as Partial<Cluster>).masters) && typeof (c as Partial<Cluster>).nodeClient === 'function'

/** What a key holds: the record as JSON, S in base64url. */
interface Stored {
  s: string
  kid: string
  crv: Curve
  origin: string
  exp: number
}

const toB64u = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const fromB64u = (text: string): Uint8Array => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))

/**
 * Sessions (docs/PROTOCOL.md §11) in Redis, shared by every server instance:
 * a session established on one is used on all. One key per session,
 * `<prefix><sid>`, with a TTL ending at the session's `exp` (Redis erases it
 * then); `revokeAll` deletes every key under the prefix (SCAN, then UNLINK),
 * on each master of a cluster. Sessions established while it runs may
 * survive it.
 *
 * Fails closed: a Redis that errors or does not answer within `timeoutMs`
 * makes `get` reject, and the request is answered `unknown_session` (its
 * client resends it with a key agreement), never 5xx; a failed `set` only
 * means no session is offered.
 *
 * Whoever reads these keys holds the secrets of live sessions: they open the
 * requests and answers of those sessions until they expire. Give Redis the
 * protection you give the server keys (ACLs, TLS, no dumps left around).
 *
 * @example
 * import { RedisSessionStore } from '@sealwire/redis'
 * const sealwire = createSealwireServer({ keys, replayStore, sessions: { store: new RedisSessionStore({ client }) } })
 */
/** Default key prefixes of the other stores that may share this Redis (`RedisReplayStore`, `RedisGuardStore`). */
const OTHER_STORES_PREFIXES = ['sealwire:jti:', 'sealwire:guard:']
/** A session id as servers mint them: base64url, no separator. */
const SID_SPELLING = /^[A-Za-z0-9_-]{22,86}$/

export class RedisSessionStore implements SessionStore {
  readonly keyPrefix: string
  readonly timeoutMs: number
  readonly #client: SessionRedisClient
  readonly #clock: Clock

  constructor(options: RedisSessionStoreOptions) {
    const client = options?.client as Partial<SessionRedisClient> | undefined
    if (typeof client?.set !== 'function' || typeof client.get !== 'function') throw new TypeError('RedisSessionStore: client must be a node-redis client or cluster (set and get)')
    this.#client = options.client
    this.keyPrefix = options.keyPrefix ?? 'sealwire:ses:'
    if (typeof this.keyPrefix !== 'string' || this.keyPrefix === '' || this.keyPrefix.length > 256 || /[*?[\]\\]/.test(this.keyPrefix)) {
      throw new TypeError('RedisSessionStore: keyPrefix must be 1 to 256 characters, without the glob characters * ? [ ] \\ (revokeAll matches on it)')
    }
    // revokeAll deletes what matches the prefix: a prefix that also covers the replay store's or the
    // guard's keys would delete accepted jtis with the sessions, and let captured requests run again.
    if (OTHER_STORES_PREFIXES.some((other) => other.startsWith(this.keyPrefix))) {
      throw new TypeError(`RedisSessionStore: keyPrefix "${this.keyPrefix}" also matches the replay store's or the guard's keys (${OTHER_STORES_PREFIXES.join(', ')}): use one of its own, e.g. the default sealwire:ses:`)
    }
    this.timeoutMs = options.timeoutMs ?? 500
    if (!Number.isSafeInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > 60_000) throw new TypeError('RedisSessionStore: timeoutMs must be an integer from 1 to 60000')
    this.#clock = options.clock ?? systemClock
  }

  async set(sid: string, record: SessionRecord): Promise<void> {
    const ttl = Math.ceil(record.exp * 1000 - this.#clock())
    if (ttl < 1) throw new RangeError('the session has already expired')
    const stored: Stored = { s: toB64u(record.secret), kid: record.kid, crv: record.crv, origin: record.origin, exp: record.exp }
    await this.#bounded(this.#client.set(this.keyPrefix + sid, JSON.stringify(stored), { expiration: { type: 'PX', value: ttl } }), 'SET')
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    const reply = await this.#bounded(this.#client.get(this.keyPrefix + sid), 'GET')
    if (reply === null || reply === undefined) return undefined
    const parsed = JSON.parse(String(reply)) as Partial<Stored>
    const { s, kid, crv, origin, exp } = parsed
    // Not what `set` wrote (another writer under our prefix): no session, rather than a guess.
    if (typeof s !== 'string' || typeof kid !== 'string' || !CURVES.includes(crv as Curve) || typeof origin !== 'string' || typeof exp !== 'number') return undefined
    const secret = fromB64u(s)
    return secret.length === 32 ? { secret, kid, crv: crv as Curve, origin, exp } : undefined
  }

  async revokeAll(): Promise<void> {
    const client: unknown = this.#client
    const nodes: SessionRedisClient[] = isCluster(client) ? await Promise.all(client.masters.map((m) => client.nodeClient(m))) : [this.#client]
    for (const node of nodes) {
      if (node.scanIterator === undefined || node.unlink === undefined) throw new TypeError('RedisSessionStore: revokeAll needs scanIterator and unlink (node-redis v5+)')
      for await (const batch of node.scanIterator({ MATCH: `${this.keyPrefix}*`, COUNT: 500 })) {
        // Only keys this store wrote (prefix + a session id): never another store's under a shared prefix.
        const keys = batch.map(String).filter((key) => SID_SPELLING.test(key.slice(this.keyPrefix.length)))
        if (keys.length === 0) continue
        // One key at a time on a cluster's node: a batch may span hash slots (CROSSSLOT).
        if (isCluster(client)) await Promise.all(keys.map((key) => node.unlink!(key)))
        else await node.unlink(keys)
      }
    }
  }

  #bounded<T>(command: PromiseLike<T>, name: string): Promise<T> {
    return raceDeadline(command, this.timeoutMs, `Redis did not answer ${name}`)
  }
}
