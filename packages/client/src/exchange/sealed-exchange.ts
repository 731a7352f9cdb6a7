import { sealRequest, type RecipientKey, type SealwireError } from '@sealwire/core'
import type { ClientState } from '../client-state.js'
import { openHttpResponse } from './open-http-response.js'

/** One sealed request as the client will send it. Internal. */
export interface SealedCall {
  url: URL
  method: string
  /** The caller's headers; envelope headers are set over them. */
  headers: Headers
  /** A JSON value, or undefined for no body. */
  body: unknown
  /** The rest of the caller's `RequestInit` (signal, credentials, …), passed through. */
  init: RequestInit
}

/** Headers the exchange owns: the caller's values would describe the plaintext, not the envelope. */
const OWNED_HEADERS = ['content-type', 'content-length', 'content-encoding', 'sealwire-envelope']

/**
 * Seals, sends and opens one request, with the two retries of the protocol —
 * each at most once, each with a FRESH envelope (new `jti`, `epk`, `rk`; an
 * envelope is never sent twice, the server would rightly call it a replay):
 *
 * - `unknown_key`: the server rotated its keys; refetch the JWK Set (one
 *   fetch shared by all requests) and retry only if it now offers another key;
 * - `stale_request`: the local clock is off; learn the offset from the
 *   answer's `Date` and keep it for every later request of this client.
 *
 * Both refusals arrive unauthenticated (the server had no `rk` yet), so a man
 * in the middle can forge them; the retry budget bounds what that buys him.
 */
export async function sealedExchange(state: ClientState, call: SealedCall): Promise<Response> {
  const method = call.method.toUpperCase()
  const target = call.url.pathname + call.url.search
  let key: RecipientKey = await state.keys.current()
  let keyRetried = false
  let clockRetried = false

  for (;;) {
    const sealed = await sealRequest({ recipient: key, request: { method, target }, body: call.body, clock: () => state.clock() + state.offsetMs })
    const headers = new Headers(call.headers)
    for (const name of OWNED_HEADERS) headers.delete(name)
    for (const [name, value] of Object.entries(sealed.headers)) headers.set(name, value)

    const res = await state.fetch(call.url.href, {
      ...call.init,
      method,
      headers,
      body: sealed.httpBody ?? null,
      // Never follow: a followed redirect re-sends this envelope to another
      // target, where it fails binding (or counts as a replay). A sealed 3xx
      // is opened and returned like any other answer.
      redirect: 'manual',
    })
    const outcome = await openHttpResponse(res, sealed.reply, key.backend)
    if (outcome.ok) return outcome.response

    const error: SealwireError = outcome.error
    if (error.code === 'unknown_key' && !keyRetried) {
      keyRetried = true
      const fresh = await state.keys.refresh(key.kid)
      if (fresh !== undefined && fresh.kid !== key.kid) {
        key = fresh
        continue
      }
    }
    if (error.code === 'stale_request' && !clockRetried && outcome.serverDate !== undefined) {
      clockRetried = true
      // `Date` has one-second resolution (RFC 9110 §5.6.7) and is truncated: the
      // server's clock was in [date, date + 1 s) — aim for the middle.
      const offset = outcome.serverDate + 500 - state.clock()
      // Retry only when the correction is material; otherwise our clock was not the cause.
      if (Math.abs(offset - state.offsetMs) >= 1000) {
        state.offsetMs = offset
        continue
      }
    }
    throw error
  }
}
