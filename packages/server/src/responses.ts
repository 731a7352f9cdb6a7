import { JOSE_MEDIA_TYPE, PROBLEM_MEDIA_TYPE, renderProblem, sealResponse, type ReplyContext, type SealwireError } from '@sealwire/core'
import type { OutgoingResponse } from './types.js'

/**
 * Response headers that describe the plaintext rather than the envelope, so
 * adapters drop them from a sealed response: a length, digest or ETag of the
 * plaintext would let an observer confirm a guessed body (an oracle through
 * the encryption), a Content-Encoding would lie about the sealed bytes, and a
 * Content-Disposition names the plaintext (`filename="salaries-2026.pdf"`)
 * in clear beside it.
 */
export const PLAINTEXT_RESPONSE_HEADERS = [
  'content-length',
  'content-encoding',
  'content-md5',
  'content-digest',
  'repr-digest',
  'digest',
  'etag',
  'last-modified',
  'content-range',
  'accept-ranges',
  'content-disposition',
  // The framing of the handler's body, not of the envelope's (Hono's streamSSE sets it): the
  // platform frames what it sends, and this beside a Content-Length is a malformed message.
  'transfer-encoding',
] as const

/** RFC 9110 §5.6.7 IMF-fixdate. Clients correct their clock from it after `stale_request`. */
export function httpDate(ms: number): string {
  // IMF-fixdate has whole seconds: one formatting per second, not per response.
  if (!(Math.abs(ms) <= 8.64e15)) return new Date(ms).toUTCString() // outside ECMAScript's time range: as Date says
  const second = Math.floor(ms / 1000)
  if (second !== lastDate.second) lastDate = { second, text: new Date(second * 1000).toUTCString() }
  return lastDate.text
}
let lastDate = { second: Number.NaN, text: '' }

/** A refusal before decryption: plain RFC 9457 problem+json, nothing secret in it. */
export function plainProblem(error: SealwireError, now: number): OutgoingResponse {
  return {
    status: error.status,
    headers: { 'content-type': PROBLEM_MEDIA_TYPE, 'cache-control': 'no-store', date: httpDate(now) },
    body: renderProblem(error),
  }
}

/**
 * Statuses that cannot carry a body (RFC 9110 §15.3.5, §15.3.6, §15.4.5): a
 * sealed response always has one (the envelope), so they are answered as 200
 * with the same (empty) plaintext, sealed with `sts: 200`.
 */
const BODYLESS = new Set([204, 205, 304])

/** Whether a handler's status is an HTTP status code at all (RFC 9110 §15: three digits, 100–599 in use). */
export function isHttpStatus(status: unknown): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599
}

export interface SealInput {
  status: number
  contentType: string | undefined
  body: Uint8Array | string
  /** Response fields to seal with the answer (the requester announced the sealed head). */
  headers?: ReadonlyArray<readonly [string, string]>
}

/** The status an answer is sealed and sent with, one-shot or streamed alike (see `sealedResponse`). */
export const sealedStatus = (status: number): number => (BODYLESS.has(status) || (status >= 100 && status < 200) ? 200 : status)

/** The media type sealed as `cty`: the handler's, or `application/octet-stream` when it gave none (or an absurd one). */
export const sealedContentType = (contentType: string | undefined): string => (contentType === undefined || contentType === '' || contentType.length > 256 ? 'application/octet-stream' : contentType)

/**
 * Seals a reply with the request's response key: `sts` equals the HTTP status
 * sent. 1xx (interim, never final) and the bodyless statuses become 200; the
 * caller checked `isHttpStatus` first (core refuses to seal anything else).
 */
export async function sealedResponse(reply: ReplyContext, input: SealInput, now: number): Promise<OutgoingResponse> {
  const status = sealedStatus(input.status)
  const contentType = sealedContentType(input.contentType)
  const sealedHeaders = input.headers !== undefined && input.headers.length > 0 ? input.headers : undefined
  const body = await sealResponse({ reply, status, contentType, body: input.body, ...(sealedHeaders === undefined ? {} : { headers: sealedHeaders }) })
  const response: OutgoingResponse = {
    status,
    // no-store: the envelope opens only with this request's key, a cached copy serves no one.
    headers: { 'content-type': JOSE_MEDIA_TYPE, 'cache-control': 'no-store', date: httpDate(now) },
    body,
  }
  if (sealedHeaders !== undefined) response.sealedHeaders = sealedHeaders.map(([name]) => name)
  return response
}

/** A refusal after decryption: the same problem+json, sealed to the requester. */
export function sealedProblem(reply: ReplyContext, error: SealwireError, now: number): Promise<OutgoingResponse> {
  return sealedResponse(reply, { status: error.status, contentType: PROBLEM_MEDIA_TYPE, body: renderProblem(error) }, now)
}
