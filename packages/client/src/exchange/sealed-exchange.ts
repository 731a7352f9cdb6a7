import { SealwireError, normalizeOrigin, sealRequest, type RecipientKey } from '@sealwire/core'
import type { ClientState } from '../client-state.js'
import { sealedNames } from '../client-options.js'
import { openHttpResponse } from './open-http-response.js'
import type { SessionPlan } from '../session/session-keeper.js'

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
  /** What this request seals beyond the client's defaults; absent: the client's. */
  head?: HeadPolicy
}

/** Per-request choices of the sealed head (docs/PROTOCOL.md §3.5). */
export interface HeadPolicy {
  seal?: readonly string[] | undefined
  clear?: readonly string[] | undefined
  query?: boolean | undefined
}

/**
 * The call's sealed head: the fields to seal, taken OUT of the headers sent in
 * clear, and the query, taken out of the URL. Nothing here is ever sent in
 * clear: a server that cannot open it refuses the request (`crit`).
 */
function takeHead(state: ClientState, call: SealedCall, headers: Headers): { head: { headers: Array<[string, string]>; query?: string }; url: URL; target: string } {
  const policy = call.head
  const names = policy?.seal === undefined && policy?.clear === undefined ? state.sealHeaders : sealedNames(state.sealHeaders, policy.seal, policy.clear)
  const fields: Array<[string, string]> = []
  for (const name of names) {
    const value = headers.get(name)
    if (value === null) continue
    fields.push([name, value])
    headers.delete(name)
  }
  const url = new URL(call.url.href)
  if (!(policy?.query ?? state.sealQuery) || url.search === '') return { head: { headers: fields }, url, target: url.pathname + url.search }
  const query = url.search.slice(1)
  url.search = ''
  return { head: { headers: fields, query }, url, target: url.pathname }
}

const SEALED_HEAD_UNSUPPORTED =
  'The server refused the sealed header fields and query (Authorization, API keys, the query string): it runs a Sealwire server without the sealed head extension. ' +
  'Upgrade @sealwire/server; until then, a field or query the server must read can only be sent in clear (clearHeaders, sealQuery: false), where every TLS terminator on the way reads it.'

/** Headers the exchange owns: the caller's values would describe the plaintext, not the envelope. */
const OWNED_HEADERS = ['content-type', 'content-length', 'content-encoding', 'sealwire-envelope']

/**
 * Seals, sends and opens one request, with the two retries of the protocol —
 * each at most once, each with a new envelope (new `epk`, `rk`, `iat`; an
 * envelope is never sent twice) under the SAME `jti`. Both refusals come
 * before the server records a `jti`, so an honest retry is accepted; but a
 * man in the middle who let the first envelope through, dropped its sealed
 * answer and forged a refusal gets a sealed 409 `replayed_request` for the
 * retry, not a second run of the handler:
 *
 * - `unknown_key`: the server rotated its keys; refetch the JWK Set (one
 *   fetch shared by all requests) and retry only if it now offers another key;
 * - `stale_request`: the local clock is off; learn the offset from the
 *   answer's `Date`, retry with it, and keep it for every later request of
 *   this client only once that retry was answered sealed.
 *
 * Both refusals arrive unauthenticated (the server had no `rk` yet), so a man
 * in the middle can forge them; the retry budget bounds what that buys him.
 * A forged `stale_request` is the dangerous one: its `Date` sets our `iat`. Were
 * it unbounded, he could date our retry an hour ahead, answer it with a forged
 * refusal (the app believes the call failed), and deliver the held envelope an
 * hour later, when the server finds it fresh. Hence two rules:
 *
 * - an offset beyond `maxClockCorrectionSeconds` is not learnt: no retry, the
 *   `stale_request` is raised, the client's offset is untouched;
 * - a learnt offset serves the one retry only, and is kept for later requests
 *   once that retry came back as a sealed answer (any status): only the server
 *   holding the key can seal it, and it seals only after accepting the `iat`.
 */
export async function sealedExchange(state: ClientState, call: SealedCall): Promise<Response> {
  const method = call.method.toUpperCase()
  const callHeaders = new Headers(call.headers)
  for (const name of OWNED_HEADERS) callHeaders.delete(name)
  const { head, url, target } = takeHead(state, call, callHeaders)
  const critical = head.headers.length > 0 || head.query !== undefined
  let key: RecipientKey = await state.keys.current()
  let keyRetried = false
  let clockRetried = false
  // The offset this attempt is sealed with; differs from state.offsetMs only during the clock retry.
  let offsetMs = state.offsetMs
  // The first envelope's jti, kept for the retries (see above).
  let jti: string | undefined
  // Sessions (docs/PROTOCOL.md §11): the origin the session secret is bound to, as sealed in `hto`;
  // after `unknown_session`, the first envelope's time, so that the v1 resend has the same iat too.
  const origin = normalizeOrigin(url.origin) ?? ''
  let sessionRetried = false
  let pinnedNow: number | undefined

  for (;;) {
    const attemptOffset = offsetMs
    const now = pinnedNow ?? state.clock() + attemptOffset
    let plan: SessionPlan = state.sessions === undefined ? { kind: 'plain' } : await state.sessions.plan(key, origin, now)
    // The resend after a session refusal is v1 (it may offer a new session), never within another one.
    if (sessionRetried && plan.kind === 'session') plan = { kind: 'plain' }
    const sessionMembers = plan.kind === 'session' ? { session: plan.session } : plan.kind === 'offer' ? { offer: plan.offer } : {}
    // The origin too (`hto`): a server behind several hosts refuses it at any other (docs/PROTOCOL.md §3.2).
    const sealed = await sealRequest({ recipient: key, request: { method, target, origin: url.origin }, body: call.body, clock: () => now, jti, head, ...sessionMembers })
    jti = sealed.reply.jti
    const headers = new Headers(callHeaders)
    for (const [name, value] of Object.entries(sealed.headers)) headers.set(name, value)

    const res = await state.fetch(url.href, {
      ...call.init,
      method,
      headers,
      body: sealed.httpBody ?? null,
      // Never follow: a followed redirect re-sends this envelope to another
      // target, where it fails binding (or counts as a replay). A sealed 3xx
      // is opened and returned like any other answer.
      redirect: 'manual',
    })
    const outcome = await openHttpResponse(res, sealed.reply, key.backend, state.maxResponseBytes)
    if (outcome.ok) {
      // Sealed, hence authentic: the server accepted this iat. Only now is a learnt offset worth keeping.
      if (clockRetried) state.offsetMs = attemptOffset
      if (plan.kind === 'offer') await state.sessions!.settle(plan.offer, outcome.session, { jti, origin, nowMs: state.clock() + state.offsetMs })
      return outcome.response
    }

    const error: SealwireError = outcome.error
    if (plan.kind === 'offer') state.sessions!.release(plan.offer)
    // The server cannot use our session (expired, revoked, its key removed, sessions turned off; an
    // older server: alg dir unsupported): drop it, resend ONCE as v1 under the same jti and iat —
    // the refusal is unauthenticated, and an identical replay record keeps a forged one from running the call twice.
    if (plan.kind === 'session' && !sessionRetried && (error.code === 'unknown_session' || error.code === 'unsupported_algorithm')) {
      state.sessions!.drop(plan.session)
      sessionRetried = true
      pinnedNow = now
      continue
    }
    // A server that predates the sealed head refuses its `crit` (RFC 7515 §4.1.11) rather than run
    // the request without it; say what that means instead of "algorithm not allowed".
    if (error.code === 'unsupported_algorithm' && critical) throw new SealwireError('sealed_head_unsupported', { detail: SEALED_HEAD_UNSUPPORTED, cause: error })
    if (error.code === 'unknown_key' && !keyRetried) {
      keyRetried = true
      const fresh = await state.keys.refresh(key.kid)
      if (fresh !== undefined && fresh.kid !== key.kid) {
        key = fresh
        continue
      }
    }
    if (error.code === 'stale_request' && !clockRetried && outcome.serverDate !== undefined) {
      // `Date` has one-second resolution (RFC 9110 §5.6.7) and is truncated: the
      // server's clock was in [date, date + 1 s) — aim for the middle.
      const learnt = outcome.serverDate + 500 - state.clock()
      if (Math.abs(learnt) > state.maxClockCorrectionMs) {
        throw new SealwireError('stale_request', {
          detail: `The server clock differs by more than the allowed correction (maxClockCorrectionSeconds = ${state.maxClockCorrectionMs / 1000}); not retrying`,
          cause: error.cause,
        })
      }
      // Retry only when the correction is material; otherwise our clock was not the cause.
      if (Math.abs(learnt - attemptOffset) >= 1000) {
        clockRetried = true
        offsetMs = learnt
        continue
      }
    }
    throw error
  }
}
