import { SealwireError } from '../errors.js'

/**
 * The parts every shared replay store (Redis, DynamoDB, a Durable Object)
 * runs around its one backend call, so that they fail closed alike: the
 * same input checks, the same bounded wait, the same error.
 */

/** What a replay store throws when it cannot vouch for a jti: `openRequest` answers 503. */
export function replayGuardUnavailable(cause: unknown): SealwireError {
  return new SealwireError('replay_guard_unavailable', { cause })
}

/**
 * Checks what `checkAndSet` was given before any backend sees it; a bad value
 * is a bug upstream, refused (fail closed) rather than stored under a key
 * like `undefined`.
 *
 * @throws SealwireError `replay_guard_unavailable`
 */
export function checkReplayInput(jti: unknown, expiresAt: unknown): void {
  if (typeof jti !== 'string' || jti.length === 0) throw replayGuardUnavailable(new TypeError('jti must be a non-empty string'))
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) throw replayGuardUnavailable(new TypeError('expiresAt must be a finite number of ms since the epoch'))
}

/**
 * Waits for a backend call at most `timeoutMs`: a hung network or server must
 * not hang the request. Past the deadline `onTimeout` runs (to abort the call)
 * and the wait rejects with `${what} within ${timeoutMs} ms`. The call itself
 * may still land later. For any store (replay, session) that must not wait on
 * its backend without bound.
 *
 * @example
 * const value = await raceDeadline(client.get(key), 500, 'Redis did not answer GET')
 */
export async function raceDeadline<T>(call: PromiseLike<T>, timeoutMs: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      call,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          onTimeout?.()
          reject(new Error(`${what} within ${timeoutMs} ms`))
        }, timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `raceDeadline` for a replay store: any rejection becomes
 * `replay_guard_unavailable` with the reason as its `cause`. A call that lands
 * after the deadline only remembers the jti of a request that was refused:
 * harmless.
 *
 * @example
 * const reply = await withinDeadline(client.set(key, '1', options), 500, 'Redis did not answer SET NX')
 */
export async function withinDeadline<T>(call: PromiseLike<T>, timeoutMs: number, what: string, onTimeout?: () => void): Promise<T> {
  try {
    return await raceDeadline(call, timeoutMs, what, onTimeout)
  } catch (cause) {
    throw replayGuardUnavailable(cause)
  }
}
