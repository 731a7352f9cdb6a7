import {
  DEFAULT_SEALED_RESPONSE_HEADERS,
  ERROR_TABLE,
  PRE_DECRYPTION_CODES,
  JOSE_MEDIA_TYPE,
  PROBLEM_MEDIA_TYPE,
  STREAM_MEDIA_TYPE,
  SealwireError,
  isSealwireErrorCode,
  openResponse,
  type CryptoBackend,
  type OpenedResponse,
  type ReplyContext,
} from '@sealwire/core'
import { sentence } from './lazy-sentence.js'
import type { SentEnvelope } from './size-and-key-sentences.js'
import { serverTimeOf } from './clock-offset.js'
import { mediaTypeOf } from './media-type.js'
import { readCappedText } from './read-capped.js'

/** A problem document is small; a plain answer larger than this (bytes) is not one, and is not read further. */
const MAX_PROBLEM_BYTES = 16 * 1024

/** Null-body statuses (Fetch standard): a `Response` with one of them cannot carry a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

export type HttpOutcome =
  /** `session`: what the answer's protected header announced (`ses`, docs/PROTOCOL.md §11), authenticated, unchecked. */
  | { ok: true; response: Response; session?: unknown }
  /** A pre-decryption refusal by the server; `serverTime` (ms) from its `Date` header, for clock-skew correction. */
  | { ok: false; error: SealwireError; serverTime: number | undefined }

/** Refusals whose cause is the deployment, not the request: the message says what to change. */
const REFUSAL_HINTS: Partial<Record<string, (sent: SentEnvelope | undefined) => string | Promise<string>>> = {
  insecure_transport: () =>
    'The server refused the request as not sent over TLS (403 insecure_transport). Use an https:// baseUrl; behind a TLS-terminating proxy the server must list the proxy in its trustedProxies option; for local development over http on loopback, set allowInsecureLoopback: true on the server.',
  payload_too_large: (sent) => sentence((m) => m.serverTooLarge(sent), "The server refused the envelope as too large: see its maxBodyBytes option"),
}

const notEncrypted = (detail: string) => new SealwireError('response_not_encrypted', { detail })

function discard(res: Response): void {
  // Frees the connection; the body of a refused answer is never read further.
  void res.body?.cancel().catch(() => undefined)
}

async function readPlainRefusal(res: Response, sent: SentEnvelope | undefined): Promise<HttpOutcome> {
  const text = await readCappedText(res, MAX_PROBLEM_BYTES)
  let problem: unknown
  try {
    if (text === undefined) throw new Error('problem document too large')
    problem = JSON.parse(text)
  } catch {
    throw notEncrypted('A plain problem answer to a sealed request, and not a Sealwire one')
  }
  const code = (problem as { code?: unknown } | null)?.code
  // Only the pre-decryption codes, and only with their own status: a proxy
  // cannot pass off an arbitrary error (or a success) as a protocol refusal.
  if (!isSealwireErrorCode(code) || !PRE_DECRYPTION_CODES.has(code) || ERROR_TABLE[code].status !== res.status) {
    throw notEncrypted('A plain problem answer to a sealed request that is not a pre-decryption refusal')
  }
  // The server's detail stays in `cause`: it is untrusted, unauthenticated text.
  // Our own hint, where the fix is a deployment setting, is the message.
  const detail = await REFUSAL_HINTS[code]?.(sent)
  const error = new SealwireError(code, detail === undefined ? { cause: problem } : { cause: problem, detail })
  return { ok: false, error, serverTime: serverTimeOf(res.headers) }
}

/**
 * Turns the HTTP answer to a sealed request into the application's response,
 * checking what docs/PROTOCOL.md §4 promises, in order:
 *
 * 1. the media type: `application/jose`, `application/sealwire-stream` (a
 *    streamed answer, docs/PROTOCOL.md §12: stream-answer.ts), or a plain
 *    pre-decryption refusal;
 *    anything else (a proxy's HTML page, a plaintext JSON) is
 *    `response_not_encrypted` — accepting it would let whoever sits on the path
 *    answer in our name (a downgrade);
 * 2. decryption with this request's `rk` (`response_decryption_failed`);
 * 3. `typ`, `jti` = this request's and `sts` = the HTTP status
 *    (`response_binding_mismatch`: a swapped or re-statused response).
 *
 * Every body is read with a byte cap (a plain refusal 16 KiB, a sealed answer
 * `maxResponseBytes`), so a hostile answer cannot make us buffer without bound.
 *
 * Steps 2–3 are core's `openResponse`. The returned `Response` carries the
 * plaintext, the sealed status, `Content-Type` = the sealed `cty` and the
 * header fields the server sealed; other headers are copied as received and
 * are NOT authenticated.
 */
export async function openHttpResponse(res: Response, reply: ReplyContext, backend: CryptoBackend, maxResponseBytes: number, sent?: SentEnvelope): Promise<HttpOutcome> {
  const type = mediaTypeOf(res.headers.get('content-type'))
  if (res.status === 431 && type !== JOSE_MEDIA_TYPE) {
    // RFC 6585 §5: the server's HTTP layer refused the request line and headers
    // before Sealwire saw them (Node's limit is 16 KiB). A GET carries its
    // envelope in a header, so a long query plus cookies can pass it: say so,
    // rather than calling the answer an unsealed response.
    discard(res)
    throw new SealwireError('payload_too_large', {
      detail: 'The server refused the request headers as too large (HTTP 431): a GET carries its envelope in the Sealwire-Envelope header, so send a shorter query or fewer cookies, or use POST (the envelope then travels in the body)',
    })
  }
  if (res.status === 413 && type !== JOSE_MEDIA_TYPE && type !== PROBLEM_MEDIA_TYPE) {
    // RFC 9110 §15.5.14 from something in front of the server (a proxy's HTML page): its
    // own body limit refused the envelope before Sealwire could. Not an unsealed answer either.
    discard(res)
    throw new SealwireError('payload_too_large', { detail: await sentence((m) => m.proxyTooLarge(sent), 'A proxy in front of the server refused the request as too large (HTTP 413)') })
  }
  if (type === PROBLEM_MEDIA_TYPE) return readPlainRefusal(res, sent)
  // A streamed answer (§12): the client announced it reads them (`str`), the server chose one.
  if (type === STREAM_MEDIA_TYPE) {
    const { opened, body } = await (await import('../streams.js')).openStreamAnswer(res, reply, backend, NULL_BODY_STATUSES)
    return answered(plaintextResponse(res, opened, body), opened)
  }
  if (type !== JOSE_MEDIA_TYPE) {
    discard(res)
    // status 0: a browser's opaque redirect (we never follow redirects, see sealed-fetch.ts).
    throw notEncrypted(res.status === 0 || (res.status >= 300 && res.status < 400) ? 'A redirect answered a sealed request' : 'A plaintext answer to a sealed request')
  }
  const declared = res.headers.get('content-length')?.trim()
  const envelope = await readCappedText(res, maxResponseBytes)
  // Not opened, so not ours as far as we can tell: the same code as a garbled envelope.
  if (envelope === undefined) {
    const detail = await sentence((m) => m.responseTooLarge(declared, maxResponseBytes), `The sealed answer is over maxResponseBytes = ${maxResponseBytes}`)
    throw new SealwireError('response_decryption_failed', { detail })
  }
  const opened = await openResponse(envelope.trim(), { reply, status: res.status, backend })

  const body = NULL_BODY_STATUSES.has(opened.status) ? null : (opened.body as Uint8Array<ArrayBuffer>)
  return answered(plaintextResponse(res, opened, body), opened)
}

const answered = (response: Response, opened: OpenedResponse): HttpOutcome => (opened.session === undefined ? { ok: true, response } : { ok: true, response, session: opened.session })

/**
 * The application's `Response` of an opened answer, whole or streamed: the
 * sealed status, `Content-Type` = the sealed `cty` and the header fields the
 * server sealed; other headers copied as received, NOT authenticated.
 */
function plaintextResponse(res: Response, opened: OpenedResponse, body: BodyInit | null): Response {
  const headers = new Headers(res.headers)
  // The body is the plaintext now: its length and encoding are not the wire's.
  headers.delete('content-length')
  headers.delete('content-encoding')
  headers.set('content-type', opened.contentType)
  // A server that seals response fields (docs/PROTOCOL.md §4.1) seals every one of the kinds it
  // seals by default: any of them in clear beside its answer was added on the way (a Location to a
  // phishing page, a WWW-Authenticate asking for a password). Only the sealed ones are kept.
  if (opened.sealedHead) for (const name of DEFAULT_SEALED_RESPONSE_HEADERS) headers.delete(name)
  for (const [name, value] of opened.headers) headers.set(name, value)
  return new Response(body, { status: opened.status, statusText: res.statusText, headers })
}
