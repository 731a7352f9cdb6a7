import { SealwireError, isStandardSchema, type InferOutput, type RequestClaims, type StandardSchemaV1 } from '@sealwire/core'
import { STATUS_CODES } from 'node:http'
import type { DefaultContext, DefaultState, Middleware, ParameterizedContext } from 'koa'
import type { SealwireServer } from '../create-server.js'
import type { SealwireExchange } from '../exchange.js'
import { closeAfterStreamedUpload, incomingFromNode, prepareHandlerHeaders, restoreSealedHead } from '../node/incoming.js'
import { lockMethod } from '../node/method-lock.js'
import { requestSlot } from '../node/request-slot.js'
import { plaintextBody } from '../node/plaintext-body.js'
import { sealedReadable } from '../node/sealed-readable.js'
import { secondEngineWarning } from '../node/second-engine.js'
import { responseBytes } from '../node/response-body.js'
import type { OutgoingResponse } from '../types.js'

declare module 'koa' {
  interface Request {
    /**
     * The decrypted body, set by `sealwireKoa()` (unknown until a route schema
     * types it). Declared here so `ctx.request.body` compiles in a middleware
     * added by a separate `app.use()`, where Koa's types cannot carry ours.
     * Body parsers declare it `any`: with one of them in the same program (it
     * must not read sealed routes anyway), enable `skipLibCheck`.
     */
    body?: unknown
  }
}

/** Options of `sealwireKoa`. */
export interface SealwireKoaOptions<S extends StandardSchemaV1 = StandardSchemaV1<unknown>> {
  /** Route schema of the decrypted body (step 11); `ctx.request.body` is typed from it. */
  schema?: S
}

/** What the middleware adds to `ctx.state`. */
export interface SealwireKoaState {
  /** Verified claims of the envelope. */
  sealwire: RequestClaims
}

/** What the middleware adds to the context: the decrypted body. */
export interface SealwireKoaContext<T> {
  request: { body: T }
}

interface Opened {
  /** The engine that opened the request. */
  server: SealwireServer
  exchange: SealwireExchange<unknown>
  /** A later middleware answered (a per-route schema refused): do not seal again. */
  answered: boolean
}

// Requests already opened by an app-wide middleware, for a per-route one behind it.
const opened = requestSlot<Opened>('sealwire opened')

const CONSUMED =
  'Sealwire: the request body was already read by another middleware (a body parser such as @koa/bodyparser). ' +
  'Mount sealwireKoa() before any body parser: it reads the envelope itself and puts the decrypted body in ctx.request.body.'

type AnyContext = ParameterizedContext<DefaultState, DefaultContext>

function respond(server: SealwireServer, ctx: AnyContext, outgoing: OutgoingResponse): void {
  for (const name of server.droppedResponseHeaders) ctx.remove(name)
  for (const name of outgoing.sealedHeaders ?? []) ctx.remove(name)
  // Headers first: with Content-Type set, Koa's body setter keeps it.
  ctx.set(outgoing.headers)
  if (outgoing.status === 413) ctx.set('connection', 'close')
  ctx.body = outgoing.body
  ctx.status = outgoing.status
}

/** The handler's response fields, for the engine to seal those it seals. */
function responseFields(ctx: AnyContext): Array<[string, string]> {
  const fields: Array<[string, string]> = []
  for (const [name, value] of Object.entries(ctx.response.headers)) {
    if (value !== undefined) fields.push([name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)])
  }
  return fields
}

/** koa-router's matched template, where present: low-cardinality route labels for events. */
const routeOf = (ctx: AnyContext): string | undefined => {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute
  return typeof matched === 'string' ? matched : undefined
}

/**
 * The plaintext Koa would send: its respond() turns a missing body into the
 * status message as text (404 "Not Found"), serializes objects as JSON and
 * streams streams; the envelope seals the same bytes.
 */
async function plaintextOf(ctx: AnyContext): Promise<{ contentType: string | undefined; body: Uint8Array | string }> {
  const contentType = ctx.response.get('Content-Type') || undefined
  if (ctx.body === null || ctx.body === undefined) {
    if (ctx.status === 204 || ctx.status === 205 || ctx.status === 304) return { contentType, body: '' }
    return { contentType: 'text/plain; charset=utf-8', body: ctx.message || String(ctx.status) }
  }
  return { contentType, body: await responseBytes(ctx.body) }
}

const BYPASS =
  'Sealwire: ctx.respond = false on a sealed route would send what the handler writes to ctx.res in clear. ' +
  'Set ctx.body instead (a stream is sealed record by record for a client that reads sealed streams, else read whole and sealed).'

/**
 * Forbids `ctx.respond = false` on an opened request: Koa then leaves the
 * response to the handler, past the sealing (Fastify's reply.hijack(), the same).
 */
function forbidBypass(ctx: AnyContext): void {
  let respond = ctx.respond
  Object.defineProperty(ctx, 'respond', {
    configurable: true,
    get: () => respond,
    set(value: unknown) {
      if (value === false) throw new Error(BYPASS)
      respond = value as boolean | undefined
    },
  })
}

/** An HttpError of Koa's own (`ctx.throw(404)`, http-errors): a 4xx the client may see, as Koa would show it. */
interface ClientError {
  status: number
  message: string
  expose?: boolean
  headers?: Record<string, string>
}

function asClientError(err: unknown): ClientError | undefined {
  const e = err as Partial<ClientError> | null
  return typeof e === 'object' && e !== null && Number.isInteger(e.status) && e.status! >= 400 && e.status! <= 499 ? (e as ClientError) : undefined
}

/** A handler's body that is still being produced: a Node stream or a web ReadableStream. */
function isStreamBody(body: unknown): body is AsyncIterable<Uint8Array | string> {
  return typeof body === 'object' && body !== null && (typeof (body as { pipe?: unknown }).pipe === 'function' || (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream))
}

/** Answers with the handler's stream body sealed record by record, or the one-shot answer sealing refused it for. */
async function streamBody(server: SealwireServer, ctx: AnyContext, exchange: SealwireExchange<unknown>, body: AsyncIterable<Uint8Array | string>): Promise<void> {
  let answer
  try {
    answer = await exchange.stream({ status: ctx.status, contentType: ctx.response.get('Content-Type') || undefined, contentEncoding: ctx.response.get('Content-Encoding'), route: routeOf(ctx), headers: responseFields(ctx) })
  } catch (err) {
    ctx.app.emit('error', err, ctx)
    answer = await exchange.fail(routeOf(ctx)).catch(() => server.internalError())
  }
  if (!('write' in answer)) return respond(server, ctx, answer)
  for (const name of server.droppedResponseHeaders) ctx.remove(name)
  for (const name of answer.sealedHeaders ?? []) ctx.remove(name)
  ctx.set(answer.headers)
  // Records go out as they come: HTTP/1.1 frames them chunked. Removing the handler's
  // Transfer-Encoding above would otherwise leave Node to frame by closing the connection.
  if (ctx.req.httpVersion === '1.1') ctx.set('transfer-encoding', 'chunked')
  // A failure of the handler's stream ends the answer without its final record, and is logged.
  ctx.body = sealedReadable(answer, body, (err) => ctx.app.emit('error', err, ctx))
  ctx.status = answer.status
}

/** A streamed upload's plaintext as `ctx.request.body`; the code its body failed with, once it did. */
async function streamedUpload(server: SealwireServer, exchange: SealwireExchange<unknown>, ctx: AnyContext): Promise<{ error?: SealwireError } | undefined> {
  const key = await exchange.bodyKey()
  if (key === undefined) return undefined
  const upload: { error?: SealwireError } = {}
  ;(ctx.request as { body?: unknown }).body = plaintextBody(ctx.req, key, server.maxUploadBytes, (error) => {
    upload.error ??= error
  })
  return upload
}

/**
 * Koa middleware: every request it sees must be sealed. The decrypted body
 * is `ctx.request.body`, the verified claims `ctx.state.sealwire`; whatever
 * downstream middleware puts in `ctx.body` (text, JSON, a buffer or a stream)
 * is sealed on the way out with the requester's response key, and a throw
 * answers a sealed 500 `internal_error` (the error still reaches
 * `app.on('error')` for your logs). Also serves the JWK Set.
 *
 * A stream body is sealed record by record, each chunk sent as it comes, for a
 * client that reads sealed streams (docs/PROTOCOL.md §12); a streamed upload's
 * plaintext is `ctx.request.body`, a Node Readable.
 *
 * Mount it before any body parser and after CORS. A handler that sets
 * `ctx.respond = false` (to write to `ctx.res` itself) throws: the bytes would
 * leave in clear; the client gets the sealed 500 and `app.on('error')` the reason.
 *
 * @example
 * import Koa from 'koa'
 * import { createSealwireServer } from '@sealwire/server'
 * import { sealwireKoa } from '@sealwire/server/koa'
 *
 * const sealwire = createSealwireServer({ keys })
 * const app = new Koa()
 * app.use(sealwireKoa(sealwire))
 * app.use(async (ctx) => {
 *   ctx.body = { ok: true, got: ctx.request.body, kid: ctx.state.sealwire.kid } // sealed on the way out
 * })
 *
 * @example
 * // A per-route schema (with @koa/router), behind the app-wide middleware or alone
 * router.post('/transfer', sealwireKoa(sealwire, { schema: Transfer }), (ctx) => {
 *   ctx.body = { amount: ctx.request.body.amount } // typed
 * })
 */
export function sealwireKoa<S extends StandardSchemaV1 = StandardSchemaV1<unknown>>(
  server: SealwireServer,
  options: SealwireKoaOptions<S> = {},
): Middleware<DefaultState & SealwireKoaState, DefaultContext & SealwireKoaContext<InferOutput<S>>> {
  if (typeof server?.open !== 'function') throw new TypeError('sealwireKoa: pass the server from createSealwireServer()')
  const schema = options.schema
  if (schema !== undefined && !isStandardSchema(schema)) throw new TypeError('sealwireKoa: schema must be a Standard Schema (zod 3.24+ or 4, Valibot, ArkType…)')
  const route = schema === undefined ? undefined : { schema }
  const warnSecondEngine = secondEngineWarning('sealwireKoa()')

  const middleware = async function sealwireKoaMiddleware(ctx: AnyContext, next: () => Promise<unknown>): Promise<void> {
    const target = ctx.originalUrl
    if (server.isJwksRequest(ctx.method, target)) return respond(server, ctx, await server.jwks(target))

    const upstream = opened.get(ctx.req)
    if (upstream !== undefined) {
      if (upstream.server !== server) {
        warnSecondEngine()
        upstream.answered = true
        return respond(upstream.server, ctx, await upstream.exchange.fail(routeOf(ctx)))
      }
      if (schema === undefined) {
        await next()
        return
      }
      const refined = await upstream.exchange.refine(schema)
      if (!refined.ok) {
        upstream.answered = true
        return respond(server, ctx, refined.response)
      }
      ;(ctx.request as { body?: unknown }).body = refined.body
      await next()
      return
    }

    const request = ctx.request as { body?: unknown; rawBody?: unknown }
    if (ctx.req.readableEnded || request.body !== undefined || request.rawBody !== undefined) throw new Error(CONSUMED)

    closeAfterStreamedUpload(ctx.req, ctx.res)
    const outcome = await server.open(incomingFromNode(ctx.req, target), route)
    if (!outcome.ok) return respond(server, ctx, outcome.response)
    const { exchange } = outcome
    request.body = exchange.body
    ctx.state.sealwire = exchange.claims
    prepareHandlerHeaders(ctx.req, exchange.body !== null)
    // The sealed head, restored before the middleware behind us (ctx.query reads ctx.req.url).
    const query = restoreSealedHead(ctx.req, exchange.head)
    if (query !== '') ctx.originalUrl += query
    // Routers dispatch on ctx.method (= req.method): nothing behind us may change it (method override).
    const method = lockMethod(ctx.req, exchange.claims.htm)
    forbidBypass(ctx)
    const state: Opened = { server, exchange, answered: false }
    opened.set(ctx.req, state)
    // A streamed upload (§12): its plaintext is ctx.request.body, a Node Readable.
    const upload = await streamedUpload(server, exchange, ctx)

    try {
      await next()
    } catch (err) {
      if (method.violated) return respond(server, ctx, await exchange.refuse(new SealwireError('binding_mismatch'), routeOf(ctx)))
      // The handler failed reading a cut or altered upload: answered with the upload's code.
      if (upload?.error !== undefined) return respond(server, ctx, await exchange.refuse(upload.error, routeOf(ctx)))
      const clientError = asClientError(err)
      if (clientError !== undefined) {
        // ctx.throw(404) / ctx.throw(401, 'Sign in'): kept as Koa's own error handler
        // shows it (status, exposed message or the reason phrase, the error's
        // headers such as WWW-Authenticate), sealed; like Express and Fastify.
        ctx.app.emit('error', err, ctx) // Koa's default listener skips exposed client errors
        const text = clientError.expose === true ? clientError.message : (STATUS_CODES[clientError.status] ?? String(clientError.status))
        if (clientError.headers !== undefined && typeof clientError.headers === 'object') ctx.set(clientError.headers)
        return respond(server, ctx, await exchange.reply({ status: clientError.status, contentType: 'text/plain; charset=utf-8', body: text, route: routeOf(ctx) }))
      }
      // The owner's logs still get the error (Koa's default handler prints it); the client never does.
      ctx.app.emit('error', err, ctx)
      return respond(server, ctx, await exchange.fail(routeOf(ctx)))
    }
    if (state.answered) return
    if (method.violated) return respond(server, ctx, await exchange.refuse(new SealwireError('binding_mismatch'), routeOf(ctx)))
    if (upload?.error !== undefined) return respond(server, ctx, await exchange.refuse(upload.error, routeOf(ctx)))
    // A stream body, for a requester that reads sealed streams: records as the stream yields (§12).
    if (exchange.streams && isStreamBody(ctx.body)) return streamBody(server, ctx, exchange, ctx.body)
    let sealed: OutgoingResponse
    try {
      const { contentType, body } = await plaintextOf(ctx)
      sealed = await exchange.reply({ status: ctx.status, contentType, contentEncoding: ctx.response.get('Content-Encoding'), body, route: routeOf(ctx), headers: responseFields(ctx) })
    } catch (err) {
      // Reading the body failed (a stream that errored): never fall back to plaintext.
      ctx.app.emit('error', err, ctx)
      sealed = await exchange.fail(routeOf(ctx)).catch(() => server.internalError())
    }
    respond(server, ctx, sealed)
  }
  return middleware as unknown as Middleware<DefaultState & SealwireKoaState, DefaultContext & SealwireKoaContext<InferOutput<S>>>
}
