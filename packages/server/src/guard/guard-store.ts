/**
 * Where a behaviour guard keeps its per-peer counters: in this process
 * (`MemoryGuardStore`, bounded) or in a store shared by every instance
 * (`RedisGuardStore` from `@sealwire/redis`). The budget, window and cooling
 * period belong to the store, so that instances sharing one agree on them.
 */
export interface GuardStore {
  /** Milliseconds `peer` stays blocked; 0 when it may proceed. */
  blockedFor(peer: string): number | PromiseLike<number>
  /**
   * Counts one failed request of `peer`. Resolves the milliseconds it is
   * blocked for from now on (0 while it is still within its budget).
   */
  recordFailure(peer: string): number | PromiseLike<number>
}

/** The limits every guard store enforces. */
export interface GuardLimits {
  /** Failed requests a peer may make within `windowSeconds`; the one that reaches it starts the cooling period. Default 20. */
  budget?: number
  /** Length of the counting window, in seconds, from the peer's first failure. Default 60. */
  windowSeconds?: number
  /** How long a peer past its budget is answered 429, in seconds (`Retry-After`). Default 60. */
  coolDownSeconds?: number
}

export const DEFAULT_GUARD_BUDGET = 20
export const DEFAULT_GUARD_WINDOW_SECONDS = 60
export const DEFAULT_GUARD_COOL_DOWN_SECONDS = 60

/** Limits in milliseconds, validated. */
export interface ResolvedGuardLimits {
  readonly budget: number
  readonly windowMs: number
  readonly coolDownMs: number
}

/**
 * Validates limits once, when a store is built: misuse is a `TypeError`.
 * Shared by every store (the Redis one too) so that they read the same.
 */
export function resolveGuardLimits(limits: GuardLimits, who: string): ResolvedGuardLimits {
  const budget = limits.budget ?? DEFAULT_GUARD_BUDGET
  const windowSeconds = limits.windowSeconds ?? DEFAULT_GUARD_WINDOW_SECONDS
  const coolDownSeconds = limits.coolDownSeconds ?? DEFAULT_GUARD_COOL_DOWN_SECONDS
  const check = (value: number, name: string, max: number) => {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new TypeError(`${who}: ${name} must be an integer from 1 to ${max}`)
  }
  check(budget, 'budget', 1_000_000)
  check(windowSeconds, 'windowSeconds', 86_400)
  check(coolDownSeconds, 'coolDownSeconds', 86_400)
  return { budget, windowMs: windowSeconds * 1000, coolDownMs: coolDownSeconds * 1000 }
}
