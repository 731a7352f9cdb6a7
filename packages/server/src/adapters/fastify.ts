import { STREAM_MEDIA_TYPE, isStandardSchema, type SealwireError, type InferOutput, type RequestClaims, type StandardSchemaV1 } from '@sealwire/core'
import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, RouteHandlerMethod, RouteShorthandOptionsWithHandler } from 'fastify'
import type { CheckedRequest, SealwireServer } from '../create-server.js'
import type { SealwireExchange } from '../exchange.js'
import { closeAfterStreamedUpload, incomingFromNode, prepareHandlerHeaders, nodeBody, restoreSealedHead, writeOutgoing } from '../node/incoming.js'
import { parse as parseQuery } from 'node:querystring'
import { plaintextBody } from '../node/plaintext-body.js'
import { responseBytes } from '../node/response-body.js'
import { sealedReadable } from '../node/sealed-readable.js'
import type { OutgoingResponse } from '../types.js'

/** Per-route Sealwire options, in the route's `config`. */
export interface SealwireRouteConfig {
  /** Route schema of the decrypted body (step 11). */
  schema?: StandardSchemaV1
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Verified claims of the Sealwire envelope; null outside sealed routes. */
    sealwire: RequestClaims | null
  }
  interface FastifyContextConfig {
    /** `{ schema }` for this route's decrypted body; see `sealwireRoute`. */
    sealwire?: SealwireRouteConfig
  }
}

/** Options of the `sealwireFastify` plugin. */
export interface SealwireFastifyOptions {
  /** The engine from `createSealwireServer`. */
  server: SealwireServer
  /**
   * Parses a sealed query into `request.query` (the query travels inside the
   * envelope and is restored after Fastify parsed the empty one): pass the same
   * function as Fastify's `querystringParser` option if you set one. Default:
   * `node:querystring`'s `parse`, the semantics of Fastify's default parser.
   */
  querystringParser?: (query: string) => Record<string, unknown>
}

interface State {
  checked: CheckedRequest
  /** The route's template (events) and its Sealwire schema, read once: Fastify builds `request.routeOptions` anew on every read. */
  route: string | undefined
  schema: StandardSchemaV1 | undefined
  envelope?: string
  refusal?: OutgoingResponse
  exchange?: SealwireExchange<unknown>
  errored?: boolean
  /** Our own refusal is being sent: onSend leaves it alone. */
  refused?: boolean
  /** The sealed response, once the first onSend started sealing. */
  sealing?: Promise<OutgoingResponse>
  /** A streamed upload (§12): its records, left in the request after the envelope line. */
  records?: NodeJS.ReadableStream & AsyncIterable<Uint8Array>
  /** The code a streamed upload's body failed with. */
  bodyError?: SealwireError
}

const HIJACK =
  'Sealwire: reply.hijack() on a sealed route would send the decrypted data in clear (Fastify skips onSend, where the reply is sealed). ' +
  'Answer with reply.send() or return a value; to stream, send the stream: it is sealed record by record for a client that reads sealed streams, else read whole and sealed.'

/**
 * Forbids reply.hijack() on an opened request: after it, the handler writes to
 * `reply.raw` itself and no hook sees the bytes, so they would go out in
 * clear. A throw is loud: the handler fails, the client gets the sealed 500,
 * and Fastify logs this message.
 */
function forbidHijack(reply: FastifyReply): void {
  Object.defineProperty(reply, 'hijack', { configurable: true, value: hijack })
}

/** One function for every reply: it closes over nothing, so no request needs its own. */
function hijack(): never {
  throw new Error(HIJACK)
}

/**
 * The handler's response fields (Fastify holds them until it writes), for the
 * engine to seal those it seals. Read when iterated, as `nodeResponseHeaders`:
 * only an answer sealing its head reads them.
 */
function replyFields(reply: FastifyReply): Iterable<[string, string]> {
  return { [Symbol.iterator]: () => replyFieldList(reply)[Symbol.iterator]() }
}

function replyFieldList(reply: FastifyReply): Array<[string, string]> {
  const fields: Array<[string, string]> = []
  const headers = reply.getHeaders()
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) fields.push([name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)])
  }
  return fields
}

/** A payload that is still being produced: a Node stream (Fastify's own test for a stream). */
function isNodeStream(payload: unknown): payload is NodeJS.ReadableStream & AsyncIterable<Uint8Array | string> {
  return typeof payload === 'object' && payload !== null && typeof (payload as { pipe?: unknown }).pipe === 'function'
}

/**
 * Makes whatever is written next on `raw` the given answer, written as every
 * Node adapter writes one (writeOutgoing), with none of the fields set on
 * `raw` before. For the one path where Fastify writes to the socket itself,
 * past the hooks that seal; nothing written there is read. A response whose
 * head already left is cut instead.
 */
function holdToAnswer(raw: ServerResponse, answer: OutgoingResponse): void {
  const { writeHead, write, end } = raw
  raw.writeHead = function heldHead() {
    return raw
  } as ServerResponse['writeHead']
  raw.write = function heldWrite() {
    return true
  } as ServerResponse['write']
  raw.end = function heldEnd() {
    Object.assign(raw, { writeHead, write, end })
    if (raw.headersSent) return raw.destroy()
    for (const name of raw.getHeaderNames()) raw.removeHeader(name)
    writeOutgoing(raw, answer)
    return raw
  } as ServerResponse['end']
}

function send(reply: FastifyReply, state: State | undefined, outgoing: OutgoingResponse): FastifyReply {
  if (state !== undefined) state.refused = true
  if (outgoing.status === 413) reply.header('connection', 'close')
  // Bytes, not a string: Fastify would append "; charset=utf-8" to a JSON media type.
  return reply.code(outgoing.status).headers(outgoing.headers).send(Buffer.from(outgoing.body))
}

/**
 * Fastify plugin: every route in the scope it is registered in must be
 * sealed. An `onRequest` hook runs steps 1–3 before anything is read; a
 * content-type parser for `application/jose` reads the envelope under the
 * size cap; a `preValidation` hook opens it (steps 4–11) so `request.body` is
 * the decrypted body (Fastify's own `schema.body` then validates it too) and
 * `request.sealwire` the claims; an `onSend` hook seals every reply, and
 * turns a 5xx from an error into the generic sealed `internal_error`. GET and
 * DELETE with the `Sealwire-Envelope` header work the same. Also serves the
 * JWK Set. A stream sent as the reply is sealed record by record, each chunk
 * sent as it comes, for a client that reads sealed streams (docs/PROTOCOL.md
 * §12); a streamed upload (`application/sealwire-stream`) is parsed too, its
 * plaintext `request.body`, a Node Readable. Like `fastify-plugin` plugins, it applies to the scope it is
 * registered in (root: every route); register it after `@fastify/cors`.
 *
 * @example
 * import Fastify from 'fastify'
 * import { createSealwireServer } from '@sealwire/server'
 * import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
 *
 * const sealwire = createSealwireServer({ keys })
 * const app = Fastify()
 * await app.register(sealwireFastify, { server: sealwire })
 * app.post('/api/echo', async (request) => ({ got: request.body, kid: request.sealwire?.kid }))
 * app.post('/api/transfer', sealwireRoute(Transfer, async (request, reply) => {
 *   reply.code(201)
 *   return { amount: request.body.amount } // typed from Transfer
 * }))
 */
export const sealwireFastify: FastifyPluginCallback<SealwireFastifyOptions> = function sealwireFastify(fastify, options, done) {
  const server = options?.server
  const parseSealedQuery = options?.querystringParser ?? ((query: string) => ({ ...parseQuery(query) }))
  if (typeof server?.open !== 'function') return done(new TypeError('sealwireFastify: pass { server } from createSealwireServer()'))
  // Each request's state rides on the request, in a field every request is built with (a
  // decorator: Fastify's idiom for per-request data), not in a WeakMap keyed by it. V8's young
  // collector holds a WeakMap's entries as strong until the next full collection, so each
  // request's envelope, exchange and sealed answer would survive it and be copied to the old
  // generation: measured on Node 20, 13 % of the new space survived each scavenge, against 0.2 %.
  // A symbol of this registration's own: no name on the request, no clash with a second one.
  const stateKey = Symbol('sealwire state')
  fastify.decorateRequest(stateKey, null)
  const states = {
    get: (request: FastifyRequest): State | undefined => (request as unknown as Record<symbol, State | null>)[stateKey] ?? undefined,
    set: (request: FastifyRequest, state: State): void => void ((request as unknown as Record<symbol, State | null>)[stateKey] = state),
  }
  if (!fastify.hasRequestDecorator('sealwire')) fastify.decorateRequest('sealwire', null)

  // Routes are global to the router: a second registration (another scope) reuses the first JWK Set route.
  if (!fastify.hasRoute({ method: 'GET', url: server.jwksPath })) {
    fastify.get(server.jwksPath, async (_request, reply) => send(reply, undefined, await server.jwks()))
  }
  // The signed set, where one is configured (isJwksRequest knows its path).
  const signedPath = server.signedJwksPath
  if (signedPath !== undefined && !fastify.hasRoute({ method: 'GET', url: signedPath })) {
    fastify.get(signedPath, async (_request, reply) => send(reply, undefined, await server.jwks(signedPath)))
  }

  // Steps 1, 2 and the Content-Length part of 3: before Fastify reads a byte.
  fastify.addHook('onRequest', (request, reply, next) => {
    const target = request.raw.url ?? request.url
    if (server.isJwksRequest(request.method, target)) return next()
    // One read of request.routeOptions: each read builds a new object of a dozen fields.
    const { url: route, config } = request.routeOptions
    const incoming = incomingFromNode(request.raw, target, undefined, route)
    closeAfterStreamedUpload(request.raw, reply.raw)
    const pre = server.precheck(incoming)
    if (!pre.ok) {
      send(reply, undefined, pre.response)
      return
    }
    states.set(request, { checked: pre.checked, route, schema: config?.sealwire?.schema })
    next()
  })

  // Step 3 while streaming. A refusal is kept for preValidation, which answers it.
  fastify.addContentTypeParser('application/jose', (request, payload, next) => {
    const state = states.get(request)
    if (state === undefined) return next(null, undefined)
    server.readEnvelope(state.checked, nodeBody(payload)).then((read) => {
      if (read.ok) state.envelope = read.envelope
      else state.refusal = read.response
      next(null, undefined)
    }, next)
  })

  // A streamed upload (§12): the envelope line now, under its cap; the records stay in the
  // payload stream, opened record by record once the checks passed (preValidation).
  fastify.addContentTypeParser(STREAM_MEDIA_TYPE, (request, payload, next) => {
    const state = states.get(request)
    if (state === undefined) return next(null, undefined)
    server.readEnvelope(state.checked, nodeBody(payload)).then((read) => {
      if (read.ok) {
        state.envelope = read.envelope
        state.records = payload
      } else state.refusal = read.response
      next(null, undefined)
    }, next)
  })

  // Steps 4–11.
  fastify.addHook('preValidation', async (request, reply) => {
    const state = states.get(request)
    if (state === undefined) return
    if (state.refusal !== undefined) return send(reply, state, state.refusal)
    const { location } = state.checked
    let envelope = location.placement === 'header' ? location.envelope : state.envelope
    if (envelope === undefined) {
      // A body Fastify does not parse (GET with a body): read it here, under the same cap.
      const read = await server.readEnvelope(state.checked, nodeBody(request.raw))
      if (!read.ok) return send(reply, state, read.response)
      envelope = read.envelope
    }
    const schema = state.schema
    const outcome = await server.openEnvelope(state.checked, envelope, schema === undefined ? undefined : { schema })
    if (!outcome.ok) return send(reply, state, outcome.response)
    request.body = outcome.exchange.body
    request.sealwire = outcome.exchange.claims
    state.exchange = outcome.exchange
    const bodyKey = state.records === undefined ? undefined : await outcome.exchange.bodyKey()
    if (bodyKey !== undefined) {
      // The upload's plaintext is request.body, a Node Readable. Cut or altered: whatever the
      // handler then answers (its error, typically) is replaced by the refusal with the code,
      // unless it answered already (onSend seals it).
      request.body = plaintextBody(state.records!, bodyKey, server.maxUploadBytes, (error) => {
        state.bodyError ??= error
      })
    }
    prepareHandlerHeaders(request.raw, outcome.exchange.body !== null)
    // The sealed head: fields on request.headers (the raw request's), the query on the raw
    // URL and request.query, parsed like Fastify's default parser; before validation,
    // so a route's querystring schema checks it.
    const head = outcome.exchange.head
    if (restoreSealedHead(request.raw, head) !== '') request.query = parseSealedQuery(head!.query!)
    forbidHijack(reply)
  })

  fastify.addHook('onError', async (request, reply) => {
    const state = states.get(request)
    if (state === undefined) return
    state.errored = true
    // Sealing had begun: the error came from an onSend hook after ours. Fastify answers it with its last-resort
    // error reply, written to the socket past every onSend hook (the error's message in it): the raw response
    // is held to the request's sealed 500 instead.
    if (state.sealing !== undefined && state.exchange !== undefined) {
      holdToAnswer(reply.raw, await state.exchange.fail(state.route).catch(() => server.internalError()))
    }
  })

  fastify.addHook('onSend', async (request, reply, payload) => {
    const state = states.get(request)
    if (state?.exchange === undefined || state.refused === true) return payload
    // One seal per request. A second send while the first is sealing (an async
    // handler that calls reply.send() without `return reply`) gets the same
    // sealed response, never its own unsealed payload. Once the first is written
    // the second never goes out: Fastify 4 counts a reply as sent only once
    // written, so it sends again, and that second writeHead would throw
    // ERR_HTTP_HEADERS_SENT as an unhandled rejection. Its onSend then stays
    // pending; nothing references it once the first is written.
    if (state.sealing !== undefined) {
      await state.sealing
      await new Promise((resolve) => setImmediate(resolve)) // the first send writes in this turn
      if (reply.raw.headersSent) return new Promise<never>(() => {})
    } else {
      const exchange = state.exchange
      const route = state.route
      const status = reply.statusCode
      const contentType = reply.getHeader('content-type')?.toString()
      const contentEncoding = reply.getHeader('content-encoding')?.toString()
      // A stream, for a requester that reads sealed streams: sealed record by record (§12).
      if (exchange.streams && state.bodyError === undefined && !(state.errored === true && status >= 500) && isNodeStream(payload)) {
        const starting = exchange.stream({ status, contentType, contentEncoding, route, headers: replyFields(reply) }).catch(() => server.internalError())
        // A second send meanwhile waits here; once the stream is under way it never goes out (see above).
        state.sealing = starting.then((answer) => ('write' in answer ? server.internalError() : answer))
        const answer = await starting
        if ('write' in answer) {
          for (const name of server.droppedResponseHeaders) reply.removeHeader(name)
          for (const name of answer.sealedHeaders ?? []) reply.removeHeader(name)
          reply.code(answer.status).headers(answer.headers)
          // Records go out as they come: HTTP/1.1 frames them chunked, never by closing the connection.
          if (request.raw.httpVersion === '1.1') reply.header('transfer-encoding', 'chunked')
          reply.raw.statusMessage = STATUS_CODES[answer.status] ?? ''
          // A failure of the handler's stream ends the answer without its final record, and is logged.
          return sealedReadable(answer, payload, (err) => request.log.error({ err }, 'Sealwire: a streamed answer was cut short'))
        }
      }
      state.sealing ??= (async () => {
        try {
          if (state.bodyError !== undefined) return await exchange.refuse(state.bodyError, route)
          if (state.errored === true && status >= 500) return await exchange.fail(route) // Fastify's error reply carries the error's message
          // Fastify's serialized JSON is a string: sealed as it is, without a turn through responseBytes.
          const body = typeof payload === 'string' ? payload : await responseBytes(payload)
          return await exchange.reply({ status, contentType, contentEncoding, body, route, headers: replyFields(reply) })
        } catch {
          return server.internalError()
        }
      })()
    }
    const sealed = await state.sealing
    for (const name of server.droppedResponseHeaders) reply.removeHeader(name)
    for (const name of sealed.sealedHeaders ?? []) reply.removeHeader(name)
    reply.code(sealed.status).headers(sealed.headers)
    // The standard reason phrase: one set on reply.raw would travel in clear.
    reply.raw.statusMessage = STATUS_CODES[sealed.status] ?? ''
    return sealed.body
  })

  done()
}
// Like fastify-plugin: hooks, parser and decorator apply to the scope that registers the plugin.
Object.assign(sealwireFastify, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'sealwire' })

/**
 * Route options with a Sealwire schema (any Standard Schema) and a handler
 * whose `request.body` is typed from it and whose `request.sealwire` is set:
 * `app.post(path, sealwireRoute(schema, handler))`.
 *
 * @example
 * const Transfer = z.object({ to: z.string(), amount: z.number().positive() })
 * app.post('/api/transfer', sealwireRoute(Transfer, async (request) => ({ to: request.body.to })))
 */
export function sealwireRoute<S extends StandardSchemaV1>(
  schema: S,
  handler: (this: unknown, request: FastifyRequest<{ Body: InferOutput<S> }> & { sealwire: RequestClaims }, reply: FastifyReply) => unknown,
): RouteShorthandOptionsWithHandler {
  if (!isStandardSchema(schema)) throw new TypeError('sealwireRoute: schema must be a Standard Schema (zod 3.24+ or 4, Valibot, ArkType…)')
  return { config: { sealwire: { schema } }, handler: handler as unknown as RouteHandlerMethod }
}
