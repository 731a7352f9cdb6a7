import type { SealwireErrorCode } from '@sealwire/core'
import type { IpNetwork } from '../transport.js'
import type { IncomingRequest } from '../types.js'
import { clientAddress } from './client-address.js'
import type { GuardStore } from './guard-store.js'
import { MemoryGuardStore } from './memory-guard-store.js'

/** Options of the behaviour guard (`createSealwireServer({ guard })`). */
export interface GuardOptions {
  /** Where failures are counted, with the budget and cooling period. Default: a `MemoryGuardStore` with its defaults. */
  store?: GuardStore
  /**
   * Who a request comes from. Default: the client address (the peer, or the
   * client a trusted proxy forwarded for). Return an application key — an API
   * key or account you have authenticated — to budget per key instead;
   * `undefined` leaves the request unguarded. Keys are cut to 256 characters.
   *
   * @example
   * // Only a value something in front has AUTHENTICATED (the guard runs before
   * // any check of yours): a client-chosen key would let a client take a fresh
   * // budget per request, or spend a victim's.
   * identify: (request, address) => request.header('x-gateway-client-id') ?? address
   */
  identify?: (request: IncomingRequest, clientAddress: string | undefined) => string | undefined
  /**
   * Longest wait for the store, per call, in milliseconds. A store that does
   * not answer in time (or fails) lets the request through: the guard is a
   * brake on abuse, not a gate — the replay guard behind it still fails closed.
   * Default 200.
   */
  timeoutMs?: number
  /**
   * A second budget, off unless given: key agreements per client. Every request
   * that reaches key agreement (step 8) counts in this store, with the store's
   * own limits — accepted or refused, decrypted or not — and past them the
   * client is answered 429 `too_many_failures` before step 4, like past the
   * failure budget. The failure budget never sees valid envelopes: one `epk`
   * and fresh `jti`s make the server compute an ECDH and write a replay-store
   * entry per request, as fast as the client sends them. Size it above your
   * busiest honest client's request rate; a `RedisGuardStore` here needs its own
   * `keyPrefix`.
   *
   * @example
   * guard: { keyAgreements: new MemoryGuardStore({ budget: 600, windowSeconds: 60, coolDownSeconds: 60 }) }
   */
  keyAgreements?: GuardStore
}

/**
 * What the guard counts: the requests that fail before or at decryption, each
 * of which may have cost the server a key agreement (RFC 7518 §4.6 ECDH-ES)
 * while costing the sender nothing. Failures after decryption that an honest
 * client can cause (a schema mismatch, a Redis outage) do not count.
 */
export const COUNTED_FAILURES: ReadonlySet<SealwireErrorCode> = new Set<SealwireErrorCode>([
  'malformed_envelope',
  'unsupported_algorithm',
  'unknown_key',
  'stale_request',
  'decryption_failed',
  'binding_mismatch',
  // A bad sealed head spends no jti: without counting, one envelope could be resent forever, a key agreement each.
  'invalid_sealed_head',
  // Each costs a session-store lookup; an honest client meets at most one per session.
  'unknown_session',
  'replayed_request',
])

const MAX_KEY_LENGTH = 256

/** @internal The engine's side of the guard: identify, check, count; never throws. */
export class BehaviourGuard {
  readonly #store: GuardStore
  readonly #keyAgreements: GuardStore | undefined
  readonly #identify: NonNullable<GuardOptions['identify']> | undefined
  readonly #timeoutMs: number
  readonly #trustedProxies: readonly IpNetwork[]

  constructor(options: GuardOptions, trustedProxies: readonly IpNetwork[]) {
    this.#store = options.store ?? new MemoryGuardStore()
    this.#keyAgreements = options.keyAgreements
    this.#identify = options.identify
    this.#timeoutMs = options.timeoutMs ?? 200
    this.#trustedProxies = trustedProxies
  }

  /** The peer key of a request, or undefined when it is not guarded. */
  identify(incoming: IncomingRequest): string | undefined {
    const address = clientAddress(this.#trustedProxies, incoming.peer, incoming.header('x-forwarded-for'))
    let key: string | undefined
    try {
      key = this.#identify === undefined ? address : this.#identify(incoming, address)
    } catch {
      key = address
    }
    return typeof key === 'string' && key !== '' ? key.slice(0, MAX_KEY_LENGTH) : undefined
  }

  /** Whether requests are keyed by client address (no `identify`): an adapter must then tell the peer. */
  get byAddress(): boolean {
    return this.#identify === undefined
  }

  /** Milliseconds the peer stays blocked by either budget; 0 (let through) when a store fails or is slow. */
  async blockedFor(peer: string): Promise<number> {
    const [failures, agreements] = await Promise.all([this.#blockedIn(this.#store, peer), this.#keyAgreements === undefined ? 0 : this.#blockedIn(this.#keyAgreements, peer)])
    return Math.max(failures, agreements)
  }

  async #blockedIn(store: GuardStore, peer: string): Promise<number> {
    const ms = await this.#bounded(() => store.blockedFor(peer))
    return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0
  }

  /** Counts a request that reached key agreement, when that budget is configured. */
  recordKeyAgreement(peer: string): void {
    const store = this.#keyAgreements
    if (store !== undefined) void this.#bounded(() => store.recordFailure(peer))
  }

  /** Counts a failure when its code is one the guard budgets. */
  recordFailure(peer: string, code: SealwireErrorCode): void {
    if (!COUNTED_FAILURES.has(code)) return
    void this.#bounded(() => this.#store.recordFailure(peer))
  }

  async #bounded<T>(call: () => T | PromiseLike<T>): Promise<T | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const result = call()
      if (typeof (result as PromiseLike<T> | undefined)?.then !== 'function') return result as T
      return await Promise.race([
        Promise.resolve(result),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), this.#timeoutMs)
        }),
      ])
    } catch {
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
}
