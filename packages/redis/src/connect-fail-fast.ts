/** How long `connectFailFast` waits for Redis when not told, in milliseconds. */
export const DEFAULT_BOOT_TIMEOUT_MS = 5_000

/** The client `connectFailFast` works on: a node-redis v5+ client or cluster. */
export interface ConnectableClient {
  connect(): PromiseLike<unknown>
  destroy(): void
}

export interface ConnectFailFastOptions {
  /** Longest wait for the first connection (all masters of a cluster), in milliseconds. Default 5000. */
  timeoutMs?: number
  /**
   * Told when a Redis is configured so that it may forget remembered jtis
   * (a `maxmemory-policy` other than `noeviction`). Default: a process warning
   * (`process.emitWarning`, code `SEALWIRE_REDIS_EVICTION`).
   */
  onWarning?: (message: string) => void
  /** Refuse to start (throw `RedisSetupError`) on such a Redis instead of warning. Default false. */
  requireNoEviction?: boolean
}

/** What `connectFailFast` found: the `maxmemory-policy` of each Redis (each master of a cluster). */
export interface RedisReport {
  maxmemoryPolicies: string[]
}

/** Why a Redis was not fit to start on: unreachable at boot, or (with `requireNoEviction`) evicting. */
export class RedisSetupError extends Error {
  static readonly code = 'redis_setup'
  readonly code: 'redis_unreachable' | 'redis_evicts_keys'

  constructor(code: RedisSetupError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RedisSetupError'
    this.code = code
  }
}

interface InfoClient {
  info(section: string): PromiseLike<unknown>
}
interface ClusterLike {
  readonly masters: readonly unknown[]
  nodeClient(node: unknown): PromiseLike<InfoClient>
}
const isCluster = (c: unknown): c is ClusterLike =>
  Array.isArray((c as Partial<ClusterLike>).masters) && typeof (c as Partial<ClusterLike>).nodeClient === 'function'

/**
 * Connects a node-redis client (or cluster) at start-up, failing fast: with
 * `failFastClientOptions`, node-redis keeps reconnecting forever, so a bare
 * `await client.connect()` against a Redis that is down never settles, and a
 * deployment hangs at boot instead of failing its health check. Here the wait
 * is bounded: past `timeoutMs` the client is destroyed (its retries stop) and
 * a `RedisSetupError` `redis_unreachable` says which Redis and why.
 *
 * Once connected, the client reconnects by itself through later outages
 * (requests meanwhile answer 503 `replay_guard_unavailable`); no restart is
 * needed. It then reads `maxmemory-policy` (`INFO memory`, which managed
 * services that rename `CONFIG` still answer) on every master: any policy but
 * `noeviction` lets Redis drop remembered jtis under memory pressure, and a
 * dropped jti is a replay accepted. That is reported (or refused with
 * `requireNoEviction`).
 *
 * @example
 * import { createClient } from 'redis'
 * import { RedisReplayStore, connectFailFast, failFastClientOptions } from '@sealwire/redis'
 *
 * const client = createClient(failFastClientOptions({ url: process.env.REDIS_URL }))
 * client.on('error', (err) => log.warn({ err }, 'redis'))
 * await connectFailFast(client, { timeoutMs: 5_000 }) // throws RedisSetupError if Redis is down
 * const replayStore = new RedisReplayStore({ client })
 */
export async function connectFailFast(client: ConnectableClient, options: ConnectFailFastOptions = {}): Promise<RedisReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('connectFailFast: timeoutMs must be a positive integer of milliseconds')
  let timer: ReturnType<typeof setTimeout> | undefined
  const connected = Promise.resolve(client.connect())
  try {
    await Promise.race([
      connected,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } catch (cause) {
    connected.catch(() => {}) // destroy() rejects the pending connect; that is the point
    client.destroy()
    const why = cause instanceof Error ? cause.message : String(cause)
    throw new RedisSetupError('redis_unreachable', `Redis is unreachable at start-up (${why}); the replay guard cannot start`, { cause })
  } finally {
    clearTimeout(timer)
  }

  const maxmemoryPolicies = await readPolicies(client)
  const evicting = maxmemoryPolicies.filter((p) => p !== 'noeviction')
  if (evicting.length > 0) {
    const message =
      `Redis maxmemory-policy is ${[...new Set(evicting)].join(', ')}, not noeviction: under memory pressure Redis may evict ` +
      'remembered jtis, and a replay of an evicted jti would be accepted. Set maxmemory-policy noeviction ' +
      '(a full Redis then refuses writes and requests answer 503, failing closed).'
    if (options.requireNoEviction === true) throw new RedisSetupError('redis_evicts_keys', message)
    if (options.onWarning !== undefined) options.onWarning(message)
    else (globalThis as { process?: { emitWarning?: (m: string, o: { code: string }) => void } }).process?.emitWarning?.(message, { code: 'SEALWIRE_REDIS_EVICTION' })
  }
  return { maxmemoryPolicies }
}

async function readPolicies(client: unknown): Promise<string[]> {
  const nodes: InfoClient[] = isCluster(client) ? await Promise.all(client.masters.map((m) => client.nodeClient(m))) : [client as InfoClient]
  return Promise.all(
    nodes.map(async (node) => {
      const info = String(await node.info('memory'))
      return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown'
    }),
  )
}
