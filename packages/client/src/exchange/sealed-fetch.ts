import type { ClientState } from '../client-state.js'
import { headerNamesProblem } from '../client-options.js'
import { resolveUrl } from './resolve-url.js'
import { sealedExchange, type HeadPolicy } from './sealed-exchange.js'
import type { UploadSource } from './streamed-upload.js'

/** `RequestInit`, plus what to seal of this one request (docs/PROTOCOL.md §3.5). */
export interface SealedRequestInit extends RequestInit {
  /** More header fields to seal for this request, besides the client's `sealHeaders` and the defaults. */
  sealHeaders?: readonly string[]
  /** Fields to send in clear for this request although they would be sealed (see the client's `clearHeaders`). */
  clearHeaders?: readonly string[]
  /** Whether this request's query travels inside the envelope; default: the client's `sealQuery`. */
  sealQuery?: boolean
}

/** The per-request head policy of `init`, checked like the client's options. */
export function headPolicyOf(init: Pick<SealedRequestInit, 'sealHeaders' | 'clearHeaders' | 'sealQuery'>): HeadPolicy {
  for (const key of ['sealHeaders', 'clearHeaders'] as const) {
    const problem = init[key] === undefined ? undefined : headerNamesProblem(init[key], key === 'sealHeaders')
    if (problem !== undefined) throw new TypeError(`init.${key}: ${problem}`)
  }
  if (init.sealQuery !== undefined && typeof init.sealQuery !== 'boolean') throw new TypeError('init.sealQuery: must be a boolean')
  return { seal: init.sealHeaders, clear: init.clearHeaders, query: init.sealQuery }
}

const BODYLESS = new Set(['GET', 'HEAD'])

/** The request body, which Sealwire seals as JSON: a JSON text, or nothing. */
function parseBody(body: unknown): unknown {
  if (body === undefined || body === null) return undefined
  if (typeof body !== 'string') {
    throw new TypeError('Sealwire seals JSON: pass init.body as a JSON string (JSON.stringify(value)), or use client.post(path, value)')
  }
  try {
    return JSON.parse(body)
  } catch (cause) {
    throw new TypeError('init.body is not valid JSON: Sealwire seals JSON bodies only', { cause })
  }
}

/** A stream body: sealed in records as it is read (docs/PROTOCOL.md §12), not parsed as JSON. */
const isStream = (body: unknown): body is UploadSource =>
  typeof body === 'object' && body !== null && ((typeof ReadableStream === 'function' && body instanceof ReadableStream) || Symbol.asyncIterator in body)

/**
 * `client.fetch`: the standard `fetch(input, init)` signature, sealed.
 * Differences from `fetch`, each on purpose: the body must be JSON text, or a
 * stream (a `ReadableStream`, a Node `Readable`, an async iterable of bytes),
 * sent as a sealed stream of records (`duplex: 'half'`, as `fetch` wants); the
 * URL must be on the client's origin (or a path under `baseUrl`); redirects
 * are never followed; HEAD is refused (a sealed answer needs a body).
 */
export async function sealedFetch(state: ClientState, input: RequestInfo | URL, init: SealedRequestInit = {}): Promise<Response> {
  const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined
  const url = resolveUrl(state, request !== undefined ? request.url : (input as string | URL))
  const method = (init.method ?? request?.method ?? 'GET').toUpperCase()
  if (method === 'HEAD') throw new TypeError('HEAD cannot be sealed: the sealed answer travels in the response body; use GET')

  let rawBody: unknown = init.body
  const stream = isStream(rawBody) ? rawBody : undefined
  if (rawBody === undefined && request !== undefined && request.body !== null) rawBody = await request.text()
  const body = stream === undefined ? parseBody(rawBody) : undefined
  if (BODYLESS.has(method) && (body !== undefined || stream !== undefined)) throw new TypeError(`Request with ${method} method cannot have body`)

  const { body: _body, headers, method: _method, redirect: _redirect, sealHeaders, clearHeaders, sealQuery, duplex: _duplex, ...rest } = init as SealedRequestInit & { duplex?: unknown }
  const head = headPolicyOf({ sealHeaders, clearHeaders, sealQuery })
  const passThrough: RequestInit = request === undefined ? rest : { signal: request.signal, credentials: request.credentials, ...rest }
  return sealedExchange(state, { url, method, headers: new Headers(headers ?? request?.headers), body, init: passThrough, head, ...(stream === undefined ? {} : { stream }) })
}
