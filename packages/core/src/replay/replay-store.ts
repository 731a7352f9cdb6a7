/**
 * Where a server remembers the `jti` of every request it accepted, for as long
 * as that request could still pass the freshness check.
 */
export interface ReplayStore {
  /**
   * Atomically records `jti` until `expiresAt` (ms since epoch) if it is not
   * already recorded. Resolves `true` when the jti is new (the request may
   * proceed) and `false` when it was seen (a replay). Rejects when the store
   * cannot answer; the server then fails closed with `replay_guard_unavailable`.
   */
  checkAndSet(jti: string, expiresAt: number): Promise<boolean>
  /**
   * The earliest time (ms since epoch) from which this store has seen every
   * request. A store that forgets on restart (memory) sets its start time;
   * requests issued before it are refused as stale, since a replay of one
   * could not be detected. Undefined for durable stores.
   */
  readonly rememberedSince?: number
}
