import { SealwireError, normalizeOrigin, sealRequest, type RecipientKey } from '@sealwire/core'
import type { ClientState } from '../client-state.js'
import { stalePins } from '../keys/key-source.js'
import { sealedNames } from '../client-options.js'
import { learnClockOffset } from './clock-offset.js'
import { openHttpResponse } from './open-http-response.js'
import { requestNotSent } from './request-not-sent.js'
import { sentence } from './lazy-sentence.js'
import type { StaleClock } from './size-and-key-sentences.js'
import type { SessionPlan } from '../session/session-keeper.js'
import type { UploadSource } from './streamed-upload.js'

/** Whether this runtime reads streamed answers (docs/PROTOCOL.md §12): it announces so in every request (`str`). */
const READS_STREAMS = typeof ReadableStream === 'function' && typeof TransformStream === 'function'

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
  /** A streamed upload (docs/PROTOCOL.md §12) instead of a JSON `body`: streamed-upload.ts. */
  stream?: UploadSource
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
export function takeHead(state: ClientState, call: SealedCall, headers: Headers): { head: { headers: Array<[string, string]>; query?: string }; url: URL; target: string } {
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

/** Headers the exchange owns: the caller's values would describe the plaintext, not the envelope. */
export const OWNED_HEADERS = ['content-type', 'content-length', 'content-encoding', 'sealwire-envelope']

/**
 * Why a `stale_request` is raised, with the fix: the offset its `Date` implies
 * is learnt for later requests (`learnClockOffset`), and this request is not
 * resent (see `sealedExchange`).
 */
async function staleRequest(state: ClientState, serverTime: number | undefined, sealedOffsetMs: number, refusal: SealwireError): Promise<SealwireError> {
  let clock: StaleClock
  if (serverTime === undefined) {
    clock = { kind: 'no_date' }
  } else {
    const learning = learnClockOffset(state, serverTime)
    if (learning === 'beyond_bound') clock = { kind: 'beyond_bound', maxCorrectionMs: state.maxClockCorrectionMs }
    // (`unchanged`, with another request having learnt the same offset meanwhile.)
    else if (learning === 'learnt' || Math.abs(state.offsetMs - sealedOffsetMs) >= 1000) clock = { kind: 'skewed', offsetMs: state.offsetMs }
    else clock = { kind: 'delayed' }
  }
  const detail = await sentence((m) => m.staleRequest(clock), 'The server refused the request as outside its time window; it was not resent')
  return new SealwireError('stale_request', { detail, cause: refusal.cause })
}

/**
 * Seals, sends and opens one request. A refusal the server gives before it
 * records a `jti` (`unknown_key`, `stale_request`) arrives unauthenticated (the
 * server had no `rk` yet), so a man in the middle can forge one after letting
 * the envelope through and dropping its sealed answer. What the client may
 * then resend follows from one fact: the server remembers a `jti` until
 * `iat + maxAge + margin`, a function of `iat` alone. A resend under the same
 * `jti` AND the same `iat` shares the first envelope's replay record, so at
 * most one of the two can ever run, in any order, after any delay. A resend
 * with another `iat` does not: whichever is dated later outlives the other's
 * record and runs again once it has expired (docs/PROTOCOL.md §6). Hence:
 *
 * - `unknown_key`: the server rotated its keys; refetch the JWK Set (one
 *   fetch shared by all requests) and, only if it now offers another key,
 *   resend once — a new envelope (new `epk`, `rk`) with the same `jti` and `iat`;
 * - `stale_request`: never resent, whatever the method. The local clock is
 *   off, and the same `iat` would be refused again; a corrected one would open
 *   the window above. The offset its `Date` implies is learnt for later
 *   requests (their first envelopes run at most once whatever their `iat`),
 *   and the error says so.
 */
export async function sealedExchange(state: ClientState, call: SealedCall): Promise<Response> {
  if (call.stream !== undefined) {
    const { streamedUpload } = await import('../streams.js')
    return streamedUpload(state, call as SealedCall & { stream: UploadSource }, { ownedHeaders: OWNED_HEADERS, takeHead, openHttpResponse, requestNotSent })
  }
  const method = call.method.toUpperCase()
  const callHeaders = new Headers(call.headers)
  for (const name of OWNED_HEADERS) callHeaders.delete(name)
  const { head, url, target } = takeHead(state, call, callHeaders)
  const critical = head.headers.length > 0 || head.query !== undefined
  // Loaded beside the key discovery below, not after it: the first request offers without waiting longer.
  const loading = state.sessions?.()
  let key: RecipientKey = await state.keys.current()
  let keyRetried = false
  // Fixed for the call: a resend carries the first envelope's `iat` and `jti` (see above).
  const offsetMs = state.offsetMs
  const sealedAt = state.clock() + offsetMs
  let jti: string | undefined
  // Sessions (docs/PROTOCOL.md §11): the origin the session secret is bound to, as sealed in `hto`.
  const origin = normalizeOrigin(url.origin) ?? ''
  let sessionRetried = false
  const sessions = await loading

  for (;;) {
    let plan: SessionPlan = sessions === undefined ? { kind: 'plain' } : await sessions.plan(key, origin, sealedAt)
    // The resend after a session refusal is v1 (it may offer a new session), never within another one.
    if (sessionRetried && plan.kind === 'session') plan = { kind: 'plain' }
    const sessionMembers = plan.kind === 'session' ? { session: plan.session } : plan.kind === 'offer' ? { offer: plan.offer } : {}
    // The origin too (`hto`): a server behind several hosts refuses it at any other (docs/PROTOCOL.md §3.2).
    let sealed: Awaited<ReturnType<typeof sealRequest>>
    try {
      sealed = await sealRequest({ recipient: key, request: { method, target, origin: url.origin }, body: call.body, clock: () => sealedAt, jti, head, streams: READS_STREAMS, ...sessionMembers })
    } catch (err) {
      // The session was forgotten after it was chosen (another call dropped it): nothing was sent; seal as v1.
      if (plan.kind === 'session' && err instanceof SealwireError && err.code === 'unknown_session') {
        sessionRetried = true
        continue
      }
      if (plan.kind === 'offer') sessions!.release(plan.offer)
      throw err
    }
    jti = sealed.reply.jti
    const headers = new Headers(callHeaders)
    for (const [name, value] of Object.entries(sealed.headers)) headers.set(name, value)

    let res: Response
    try {
      res = await state.fetch(url.href, {
        ...call.init,
        method,
        headers,
        body: sealed.httpBody ?? null,
        // Never follow: a followed redirect re-sends this envelope to another
        // target, where it fails binding (or counts as a replay). A sealed 3xx
        // is opened and returned like any other answer.
        redirect: 'manual',
      })
    } catch (cause) {
      if (plan.kind === 'offer') sessions!.release(plan.offer)
      // With pinned keys this is the first network use: name the reason (an untrusted certificate…) as discovery does.
      throw await requestNotSent(cause, url.href)
    }
    let outcome: Awaited<ReturnType<typeof openHttpResponse>>
    try {
      outcome = await openHttpResponse(res, sealed.reply, key.backend, state.maxResponseBytes, { bytes: sealed.envelope.length, placement: sealed.placement })
    } catch (err) {
      // An answer that does not open (tampered, not sealed): the offer is over, another request may make one.
      if (plan.kind === 'offer') sessions!.release(plan.offer)
      throw err
    }
    if (outcome.ok) {
      if (plan.kind === 'offer') await sessions!.settle(plan.offer, outcome.session, { jti, origin, nowMs: state.clock() + state.offsetMs })
      return outcome.response
    }

    const error: SealwireError = outcome.error
    if (plan.kind === 'offer') sessions!.release(plan.offer)
    // The server cannot use our session (expired, revoked, its key removed, sessions turned off; an
    // older server: alg dir unsupported): drop it, resend ONCE as v1 under the same jti and iat —
    // the refusal is unauthenticated, and an identical replay record keeps a forged one from running the call twice.
    if (plan.kind === 'session' && !sessionRetried && (error.code === 'unknown_session' || error.code === 'unsupported_algorithm')) {
      sessions!.drop(plan.session)
      sessionRetried = true
      continue
    }
    // A server that predates the sealed head refuses its `crit` (RFC 7515 §4.1.11) rather than run
    // the request without it; say what that means instead of "algorithm not allowed".
    if (error.code === 'unsupported_algorithm' && critical) throw new SealwireError('sealed_head_unsupported', { detail: await sentence((m) => m.sealedHeadUnsupported(), 'The server refused the sealed header fields and query: upgrade @sealwire/server'), cause: error })
    if (error.code === 'unknown_key' && !keyRetried) {
      keyRetried = true
      const fresh = await state.keys.refresh(key.kid)
      if (fresh === undefined) throw await stalePins(key.kid, error)
      if (fresh.kid !== key.kid) {
        key = fresh
        continue
      }
    }
    if (error.code === 'stale_request') throw await staleRequest(state, outcome.serverTime, offsetMs, error)
    throw error
  }
}
