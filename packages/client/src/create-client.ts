import { planCurves, type CurvePlan } from './crypto/crypto-plan.js'
import type { ClientState } from './client-state.js'
import { parseClientOptions, type ClientOptions } from './client-options.js'
import { learnClockOffset } from './exchange/clock-offset.js'
import { sealedFetch, type SealedRequestInit } from './exchange/sealed-fetch.js'
import { httpError, jsonRequest, type JsonRequestOptions } from './json-request.js'
import { mediaTypeOf } from './exchange/media-type.js'
import { jwksKeySource, pinnedKeySource } from './keys/key-source.js'
import type { InferOutput, StandardSchemaV1 } from './standard-schema.js'
import type { SealedEvent } from './events/parse-event-stream.js'
import type { SealedEventsInit } from './events/sealed-events.js'
import { loadSessionKeeper } from './session/load-session-keeper.js'
import { assertSecureTransport } from './transport.js'

type Schema = StandardSchemaV1
type WithSchema<S extends Schema> = JsonRequestOptions<S> & { schema: S }

/** A JSON method without a request body. */
export interface JsonGet {
  <S extends Schema>(path: string, options: WithSchema<S>): Promise<InferOutput<S>>
  (path: string, options?: JsonRequestOptions<undefined>): Promise<unknown>
}

/** A JSON method with an optional request body (any JSON value). */
export interface JsonSend {
  <S extends Schema>(path: string, body: unknown, options: WithSchema<S>): Promise<InferOutput<S>>
  (path: string, body?: unknown, options?: JsonRequestOptions<undefined>): Promise<unknown>
}

/** A Sealwire client: `fetch`-shaped, every request sealed, every response verified. */
export interface SealwireClient {
  /**
   * `fetch` with the body sealed and the answer verified and opened. Same
   * signature, returns a standard `Response` with the plaintext body, the
   * sealed status and `Content-Type`. `init.body` must be JSON text.
   */
  fetch(input: RequestInfo | URL, init?: SealedRequestInit): Promise<Response>
  get: JsonGet
  delete: JsonSend
  post: JsonSend
  put: JsonSend
  patch: JsonSend
  /**
   * Sealed server-sent events: `for await (const { event, data, id } of client.events('/api/chat'))`.
   * Reconnects after a cut stream or a network error with `Last-Event-ID` (in
   * clear unless listed in `sealHeaders`), at most `maxAttempts` times in a row;
   * ends after a clean end; throws on an error answer or a record that fails
   * authentication. `EventSource` cannot carry the envelope: use this instead.
   */
  events(input: RequestInfo | URL, init?: SealedEventsInit): AsyncIterable<SealedEvent>
  /**
   * Server time minus local time (ms), learnt from the `Date` of the key set's answer or of a
   * `stale_request` (within `maxClockCorrectionSeconds`); 0 until then.
   */
  readonly clockOffsetMs: number
}

/**
 * Creates a client for one Sealwire server.
 *
 * Options are validated here, once: misuse (or a runtime without WebCrypto)
 * throws `TypeError`; a plain
 * `http://` URL to a non-loopback host throws `SealwireError` with code
 * `insecure_transport` (unless `allowInsecureTransport`). Nothing touches the
 * network until the first request, which fetches the JWK Set (unless `keys`
 * are pinned).
 *
 * @example
 * import { createClient } from '@sealwire/client'
 * import { z } from 'zod'
 *
 * const api = createClient({ baseUrl: 'https://api.example.com' })
 * const res = await api.fetch('/api/echo', { method: 'POST', body: JSON.stringify({ hi: 1 }) })
 * const todo = await api.get('/api/todos/1', { schema: z.object({ id: z.number(), title: z.string() }) })
 */
export function createClient(options: ClientOptions): SealwireClient {
  const o = parseClientOptions(options)
  // Even the pure-JS fallback needs WebCrypto's AES-GCM, SHA-256 and random bytes (see README).
  if (globalThis.crypto?.subtle === undefined || typeof globalThis.crypto.getRandomValues !== 'function') {
    throw new TypeError('Sealwire needs WebCrypto (crypto.subtle and crypto.getRandomValues); browsers expose it only in secure contexts (https: or localhost)')
  }
  assertSecureTransport(o.base, o.allowInsecureTransport)
  if (o.keys === undefined) assertSecureTransport(o.jwksUrl, o.allowInsecureTransport)

  let plan: Promise<CurvePlan[]> | undefined
  const curvePlan = () => (plan ??= planCurves(o.crypto))
  // The key set's `Date` sets the clock offset before the first request is sealed, sparing a
  // skewed device a refused first request (a `stale_request` is never resent).
  const onServerTime = (serverTimeMs: number) => void learnClockOffset(state, serverTimeMs)
  const keys = o.keys !== undefined ? pinnedKeySource(o.keys, curvePlan) : jwksKeySource({ url: o.jwksUrl.href, root: o.jwksRoot, fetch: o.fetch, clock: o.clock, plan: curvePlan, onServerTime })
  const state: ClientState = {
    base: o.base,
    fetch: o.fetch,
    clock: o.clock,
    allowInsecureTransport: o.allowInsecureTransport,
    keys,
    offsetMs: 0,
    maxClockCorrectionMs: o.maxClockCorrectionMs,
    maxResponseBytes: o.maxResponseBytes,
    sealHeaders: o.sealHeaders,
    sealQuery: o.sealQuery,
    sessions: o.sessions ? loadSessionKeeper() : undefined,
  }

  const get = ((path: string, opts?: JsonRequestOptions) => jsonRequest(state, 'GET', path, undefined, opts)) as JsonGet
  const send = (method: string) => ((path: string, body?: unknown, opts?: JsonRequestOptions) => jsonRequest(state, method, path, body, opts)) as JsonSend

  return {
    fetch: (input, init) => sealedFetch(state, input, init),
    get,
    delete: send('DELETE'),
    post: send('POST'),
    put: send('PUT'),
    patch: send('PATCH'),
    // Loaded on first use: an app without events does not carry the parser.
    events: async function* (input, init) {
      const parts = { fetch: (i: RequestInfo | URL, init: SealedRequestInit) => sealedFetch(state, i, init), httpError, mediaTypeOf }
      yield* (await import('./streams.js')).sealedEvents(parts, input, init)
    },
    get clockOffsetMs() {
      return state.offsetMs
    },
  }
}
