import type { ClientState } from '../client-state.js'

/** Below this, a difference between two offsets is the `Date` header's resolution, not a clock. */
const MATERIAL_MS = 1000

/** What one server `Date` did to the client's offset. */
export type OffsetLearning = 'learnt' | 'unchanged' | 'beyond_bound'

/**
 * The server time an HTTP answer implies, in ms: its `Date` (RFC 9110 §6.6.1)
 * plus its `Age` (RFC 9111 §5.1) when a cache served it, or undefined. `Date`
 * has one-second resolution and is truncated: the server's clock was in
 * [date, date + 1 s), so this aims for the middle.
 */
export function serverTimeOf(headers: Headers): number | undefined {
  const date = Date.parse(headers.get('date') ?? '')
  if (Number.isNaN(date)) return undefined
  const age = /^\d{1,9}$/.test(headers.get('age') ?? '') ? Number(headers.get('age')) : 0
  return date + age * 1000 + 500
}

/**
 * Learns server time minus local time from a server's answer and uses it for
 * every request this client seals from now on. The `Date` is unauthenticated,
 * hence two limits: an offset beyond `maxClockCorrectionSeconds` is not learnt,
 * and it only ever dates *first* envelopes. A first envelope can run at most
 * once whatever its `iat` (the server remembers its `jti` as long as that
 * `iat` is fresh), so a forged `Date` costs at worst one refused request; it is
 * never used to date a resend (docs/PROTOCOL.md §6).
 */
export function learnClockOffset(state: ClientState, serverTimeMs: number): OffsetLearning {
  const learnt = serverTimeMs - state.clock()
  if (Math.abs(learnt) > state.maxClockCorrectionMs) return 'beyond_bound'
  if (Math.abs(learnt - state.offsetMs) < MATERIAL_MS) return 'unchanged'
  state.offsetMs = learnt
  return 'learnt'
}
