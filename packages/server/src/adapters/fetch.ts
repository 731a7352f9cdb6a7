import { isStandardSchema, type InferOutput, type RequestClaims, type StandardSchemaV1 } from '@sealwire/core'
import type { SealwireServer } from '../create-server.js'
import type { SealwireExchange } from '../exchange.js'
import { toResponse } from '../handle-fetch.js'
import { DECRYPTED_BODY_MEDIA_TYPE, isDroppedRequestHeader } from '../handler-request-headers.js'
import { platformPeer, runtimeTellsPeer } from '../platform-peer.js'
import { isCorsPreflight } from '../preflight.js'
import { requireSharedReplayStore } from '../shared-replay-store.js'

/** What Sealwire verified about a request, attached to the Request the handler gets. */
export interface SealwireContext<T = unknown> {
  /** The decrypted body (after the route schema). Also the inner Request's JSON body. */
  readonly body: T
  /** Verified claims of the envelope. */
  readonly claims: RequestClaims
}

/** The Request a wrapped handler receives: decrypted, with `sealwire` attached. */
export type SealwireRequest<T = unknown> = Request & { readonly sealwire: SealwireContext<T> }

/** Options of `withSealwire`. */
/**
 * The platform's extra arguments as the hooks and the wrapped handler see them:
 * the handler's own when it declares some (Workers' `env, ctx`), otherwise
 * whatever the platform passes (Deno's `info`, Bun's `server`), untyped — a
 * one-argument handler must not forbid a two-argument `peer`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PlatformArgs<A extends unknown[]> = A extends [] ? any[] : A

export interface WithSealwireOptions<S extends StandardSchemaV1, A extends unknown[]> {
  /** Route schema of the decrypted body; the handler's `request.sealwire.body` is typed from it. */
  schema?: S
  /**
   * The connection's peer address, for `trustedProxies`, `allowInsecureLoopback`
   * and the guard. Default: what the runtime tells — Bun's
   * `server.requestIP(request)`, Deno's `info.remoteAddr.hostname` (the
   * handler's second argument), Next.js's own loopback listener (`next dev -H
   * 127.0.0.1`) — else none, and then neither option applies. Pass it where
   * the host knows better, e.g. Next.js behind a proxy on this machine only:
   * `peer: () => '127.0.0.1'` with `trustedProxies: ['127.0.0.1']`.
   */
  peer?: (request: Request, ...rest: PlatformArgs<A>) => string | undefined
  /**
   * Answers CORS preflights (OPTIONS with `Origin` and
   * `Access-Control-Request-Method`), which carry no envelope: pass your app's
   * handler (e.g. `app.fetch` with Hono's `cors()`). Without it a preflight is
   * answered 204 with no `Access-Control-*` header (so the browser does not
   * send the cross-origin request), and no handler sees it.
   *
   * What reaches it is a preflight only: no body, no credentials (`Cookie`,
   * `Authorization`: browsers send none, Fetch §4.8). What goes
   * out of it is the status, the `Access-Control-*` and `Vary` headers, and
   * nothing else — never a body: an app route that answers OPTIONS (Hono's
   * `app.all`) would otherwise serve its data in clear to anyone who adds the
   * two headers.
   */
  preflight?: (request: Request, ...rest: PlatformArgs<A>) => Response | Promise<Response>
  /** Route label for security events (a template such as `/users/:id`). Default `*`: never the raw path. */
  route?: string
}

const isPreflight = (request: Request): boolean => isCorsPreflight(request.method, (name) => request.headers.get(name) ?? undefined)

/** Headers a preflight does not carry (Fetch §4.8: credentials mode "omit") and the envelope's own. */
const NOT_PREFLIGHT_HEADERS = ['cookie', 'authorization', 'content-length', 'content-type', 'transfer-encoding'] as const

/** The preflight as the app sees it: same URL and headers, minus the above, and no body. */
function preflightRequest(request: Request): Request {
  const headers = new Headers(request.headers)
  for (const name of NOT_PREFLIGHT_HEADERS) headers.delete(name)
  return new Request(request.url, { method: 'OPTIONS', headers, signal: request.signal })
}

/**
 * What may leave a preflight answer: its status and its CORS headers
 * (`Access-Control-*`, and `Vary` for caches), no body. Anything else the app
 * put there is unsealed app output.
 */
function preflightAnswer(response: Response): Response {
  void response.body?.cancel().catch(() => undefined)
  const headers = new Headers()
  response.headers.forEach((value, name) => {
    if (name.startsWith('access-control-') || name === 'vary') headers.append(name, value)
  })
  // Response.error() (status 0) and other impossible answers: a bare 500.
  const status = response.status >= 200 && response.status <= 599 ? response.status : 500
  return new Response(null, { status, headers })
}

/**
 * The handler's Request: a standard `Request` (a subclass, as Next.js's
 * `NextRequest` is one) that adds `sealwire` and whose `signal` is the
 * outer request's own, read when the handler asks: linking a new signal to it
 * costs an abort listener and a finalizer per request, and on
 * @hono/node-server reading `request.signal` builds the full platform Request
 * the lightweight one avoids. Both live on the prototype: defining them on each
 * instance turned every Request into V8's slow dictionary form (1.2 KB more per
 * request, measured on Node 20).
 */
class DecryptedRequest<T> extends Request {
  readonly #outer: Request
  readonly #sealwire: SealwireContext<T>
  constructor(url: string, init: RequestInit, outer: Request, sealwire: SealwireContext<T>) {
    super(url, init)
    this.#outer = outer
    this.#sealwire = sealwire
  }
  override get signal(): AbortSignal {
    return this.#outer.signal
  }
  get sealwire(): SealwireContext<T> {
    return this.#sealwire
  }
}

/**
 * The Request the handler sees: same method, the URL and headers with the
 * sealed head restored (the query back on the URL, the sealed fields among
 * the headers), the decrypted body as JSON.
 *
 * Lean on purpose, per request: the fields go in as one record, not a Headers
 * copy to delete from nor a list of pairs (undici converts a record in a third
 * of the time it takes over a list, which it walks with iterators).
 */
function decryptedRequest<T>(request: Request, exchange: SealwireExchange<T>, upload: ReadableStream<Uint8Array> | undefined): SealwireRequest<T> {
  const head = exchange.head
  // No prototype: a field named like one of Object's members stays a field.
  const fields: Record<string, string> = Object.create(null) as Record<string, string>
  // Kept apart, in a list: a name seen twice (only Set-Cookie: Headers joins every other),
  // and `__proto__`, which undici's record conversion (into a plain object) would drop.
  let apart: Array<[string, string]> | undefined
  const add = (name: string, value: string): void => {
    if (name in fields || name === '__proto__') (apart ??= []).push([name, value])
    else fields[name] = value
  }
  request.headers.forEach((value, name) => {
    if (!isDroppedRequestHeader(name)) add(name, value)
  })
  let url = request.url
  if (head !== undefined) {
    // None of them is also in clear: the engine refused such a request (invalid_sealed_head).
    for (const [name, value] of head.headers) add(name, value)
    if (head.query !== undefined) url = `${url.replace(/[?#].*$/s, '')}?${head.query}`
  }
  const method = request.method
  // `null` is the protocol's "no body". GET and HEAD cannot carry one in a Request;
  // their sealed body (rare) is still in `request.sealwire.body`.
  const withBody = exchange.body !== null && method !== 'GET' && method !== 'HEAD'
  if (withBody) fields['content-type'] = DECRYPTED_BODY_MEDIA_TYPE
  const headers: HeadersInit = apart === undefined ? fields : [...Object.entries(fields), ...apart]
  const sealwire: SealwireContext<T> = { body: exchange.body, claims: exchange.claims }
  // A streamed upload's plaintext (§12) is the body as it comes: records opened one by one.
  const init: RequestInit = upload === undefined ? { method, headers, body: withBody ? JSON.stringify(exchange.body) : null } : ({ method, headers, body: upload, duplex: 'half' } as RequestInit)
  return new DecryptedRequest(url, init, request, sealwire) as SealwireRequest<T>
}

/**
 * The Sealwire context of a Request a `withSealwire` handler received (e.g.
 * Hono's `c.req.raw`); undefined for a Request that did not come through it.
 *
 * @example
 * app.post('/api/echo', (c) => c.json({ kid: sealwireOf(c.req.raw)?.claims.kid }))
 */
export function sealwireOf<T = unknown>(request: Request): SealwireContext<T> | undefined {
  return (request as Partial<SealwireRequest<T>>).sealwire
}

/**
 * Wraps a `(Request) => Response` handler: every request must be sealed, the
 * handler gets it decrypted (`await request.json()`, `request.sealwire`), and
 * its Response is sealed to the requester. Also serves the JWK Set. Web
 * standards only: Cloudflare Workers, Deno, Bun, Next.js route handlers, Hono.
 * Extra arguments (Workers' `env, ctx`, Deno's `info`) pass through.
 *
 * Streams (docs/PROTOCOL.md §12): for a client that reads sealed streams, a
 * Response whose body is still being produced (server-sent events, JSON lines,
 * a large download; Hono's `streamSSE`) is sealed record by record as it comes;
 * a streamed upload reaches the handler as its Request body, which errors with
 * the stream's code when the body is cut or altered.
 *
 * Transport (step 1) is the Request URL's scheme where only the connection
 * can have made it (Workers, Deno, Bun; any host without `X-Forwarded-Proto`
 * or `Forwarded`). Next.js builds the URL from `X-Forwarded-Proto`: there
 * https counts only from a trusted proxy (`trustedProxies` and a `peer`), and
 * plain http on loopback (`allowInsecureLoopback`) only from a Next.js
 * listening on a loopback address with no proxy in between.
 *
 * Replays: these platforms run many instances (isolates), so the server needs
 * a shared replay store (a Durable Object, Redis, DynamoDB); one with the
 * default memory store is refused here (`TypeError`) unless it was created
 * with `singleInstance: true` (one Bun or Deno process on one host).
 *
 * @example
 * // Cloudflare Workers / Bun / Deno with Hono: the whole app
 * import { Hono } from 'hono'
 * import { withSealwire, sealwireOf } from '@sealwire/server/fetch'
 * const app = new Hono()
 * app.post('/api/transfer', async (c) => c.json({ ok: true, got: await c.req.json(), kid: sealwireOf(c.req.raw)?.claims.kid }))
 * export default { fetch: withSealwire(sealwire, app.fetch) }
 *
 * @example
 * // One route, body typed from its schema (Next.js: export const POST = ...)
 * const Transfer = z.object({ to: z.string(), amount: z.number().positive() })
 * export const POST = withSealwire(sealwire, async (request) => {
 *   const { to, amount } = request.sealwire.body // typed
 *   return Response.json({ ok: true, to, amount })
 * }, { schema: Transfer })
 */
export function withSealwire<A extends unknown[] = [], S extends StandardSchemaV1 = StandardSchemaV1<unknown>>(
  server: SealwireServer,
  handler: (request: SealwireRequest<InferOutput<S>>, ...rest: A) => Response | Promise<Response>,
  options: WithSealwireOptions<S, A> = {},
): (request: Request, ...rest: PlatformArgs<A>) => Promise<Response> {
  if (typeof handler !== 'function') throw new TypeError('withSealwire: handler must be a function (request) => Response')
  if (options.schema !== undefined && !isStandardSchema(options.schema)) throw new TypeError('withSealwire: schema must be a Standard Schema (zod 3.24+ or 4, Valibot, ArkType…)')
  requireSharedReplayStore(server, 'withSealwire', 'a serverless or edge platform (Workers, Vercel, Deno Deploy, Lambda)')
  const { schema, peer, preflight, route } = options
  // Without a peer every request's client address is unknown, and a guard keyed by address guards nothing.
  // Bun and Deno pass theirs to the handler (platformPeer); elsewhere the app must.
  if (server.guardsByAddress && peer === undefined && !runtimeTellsPeer()) {
    throw new TypeError(
      "withSealwire: the server's behaviour guard counts failures per client address, and this platform does not tell the handler the client's address: " +
        'pass a peer option (the connection\'s address, where your platform has it), or give the guard an `identify` function',
    )
  }
  return async function sealwireFetchHandler(request: Request, ...rest: PlatformArgs<A>): Promise<Response> {
    const method = request.method
    // The URL is parsed here only for a GET or HEAD (a JWK Set fetch); incomingFromRequest parses it for the rest.
    if (method === 'GET' || method === 'HEAD') {
      const path = new URL(request.url).pathname
      if (server.isJwksRequest(method, path)) return toResponse(await server.jwks(path))
    }
    if (preflight !== undefined && isPreflight(request)) return preflightAnswer(await preflight(preflightRequest(request), ...rest))
    // A one-argument handler ignores what the platform passes; otherwise `rest` is `A`.
    return server.handle(request, (exchange, upload) => handler(decryptedRequest(request, exchange, upload), ...(rest as A)), {
      schema,
      peer: peer === undefined ? platformPeer(request, rest) : peer(request, ...rest),
      route,
    })
  }
}
