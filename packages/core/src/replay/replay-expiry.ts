/**
 * Until when a replay store must hold a request's `jti`, in ms since the epoch
 * (exclusive, as `ReplayStore.checkAndSet` takes it).
 *
 * Step 7 accepts `iat` while `now ≤ (iat + maxAge) s`, that last millisecond
 * included; so the store holds the jti until one millisecond after it. Had it
 * forgotten the jti at that very millisecond, a replay then would pass both
 * checks (what `now + maxAge` did with `maxSkewSeconds: 0`).
 *
 * It follows `iat`, not the moment of receipt: a request's freshness ends at
 * the same instant whenever and wherever it arrives. `marginSeconds` holds it
 * longer for instances that share one store but whose clocks disagree: an
 * instance whose clock runs d seconds behind the one that stored the jti still
 * finds its iat fresh d seconds later, so a store shared by instances whose
 * clocks differ by at most the margin never forgets a jti some instance would
 * still accept (docs/PROTOCOL.md §6).
 *
 * @example
 * replayExpiresAt(1_700_000_000, 60, 5) // 1_700_000_065_001
 */
export function replayExpiresAt(iatSeconds: number, maxAgeSeconds: number, marginSeconds: number): number {
  return (iatSeconds + maxAgeSeconds + marginSeconds) * 1000 + 1
}
