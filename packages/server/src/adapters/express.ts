import { SealwireError, isStandardSchema, type InferOutput, type RequestClaims, type StandardSchemaV1 } from '@sealwire/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { SealwireServer } from '../create-server.js'
import type { SealwireExchange } from '../exchange.js'
import { captureResponse, type RawResponse, type StreamSwitch } from '../node/capture-response.js'
import { closeAfterStreamedUpload, incomingFromNode, nodeResponseHeaders, prepareHandlerHeaders, restoreSealedHead, writeOutgoing } from '../node/incoming.js'
import { lockMethod } from '../node/method-lock.js'
import { requestSlot } from '../node/request-slot.js'
import { plaintextBody } from '../node/plaintext-body.js'
import { secondEngineWarning } from '../node/second-engine.js'
import { streamSink } from '../node/stream-sink.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * Verified claims of the Sealwire envelope, set by `sealwireExpress()`.
       * Optional here because Express's types cannot tell which routes it
       * covers; on a route with `sealwireExpress(…)` in its own chain,
       * `res.locals.sealwire` is the same claims, typed as set.
       */
      sealwire?: RequestClaims
    }
  }
}

/** Options of `sealwireExpress`. */
export interface SealwireExpressOptions<S extends StandardSchemaV1 = StandardSchemaV1<unknown>> {
  /** Route schema of the decrypted body (step 11); `req.body` is typed from it. */
  schema?: S
}

/** What `sealwireExpress()` adds to `res.locals` (typed on the routes that use it). */
export interface SealwireExpressLocals {
  /** Verified claims of the envelope (the same object as `req.sealwire`). */
  sealwire: RequestClaims
}

interface Opened {
  /** The engine that opened the request. */
  server: SealwireServer
  exchange: SealwireExchange<unknown>
  /** Answers directly, past the sealing of handler output (for a refusal found later). */
  release(): void
}

// Requests already opened by an app-wide middleware, for a per-route one behind it.
const opened = requestSlot<Opened>('sealwire opened')

const CONSUMED =
  'Sealwire: the request body was already read by another middleware (a body parser such as express.json(), express.text() or express.raw()). ' +
  'Mount sealwireExpress() before any body parser: it reads the envelope itself and puts the decrypted body in req.body.'

/** A body parser ran (body-parser marks `_body`), or the stream was drained. */
function bodyConsumed(req: Request): boolean {
  return req.readableEnded || (req as { _body?: unknown })._body === true || req.body !== undefined
}

/**
 * Express's own last-resort page (finalhandler, for an error nobody handled or
 * an unmatched route). In development it holds the error's stack trace, so its
 * body is never sealed as is: a 5xx becomes `internal_error`, a 4xx keeps its
 * status with only the reason phrase.
 */
function isDefaultErrorPage(res: Response): boolean {
  return res.statusCode >= 400 && res.getHeader('content-security-policy') === "default-src 'none'" && String(res.getHeader('content-type')).startsWith('text/html')
}

/** Label of the mount path of a router, which Express only knows filled in. */
const MOUNTED = '*'

/**
 * The route template (`/users/:id`) once routed, for events: low cardinality,
 * no ids. `req.baseUrl` is the concrete mount path, parameters filled in
 * (`/tenants/42`): one label per tenant. Only the route's own template is
 * known, so a route of a mounted router is labelled with a fixed `*` before
 * its own template: `/orders/:id` under `/tenants/:tid` is `*` + `/orders/:id`.
 */
function routeOf(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path
  if (typeof path !== 'string') return undefined
  return req.baseUrl === '' ? path : `${MOUNTED}${path}`
}

function contentTypeOf(res: Response): string | undefined {
  const value = res.getHeader('content-type')
  return value === undefined ? undefined : String(value)
}

/** A streamed upload in progress: the error its body ended with, if any. */
interface Upload {
  error?: SealwireError
  /** The answer started as a stream: a body error can no longer be answered. */
  streaming?: boolean
}

/**
 * A streamed upload's plaintext as `req.body` (a Node Readable that ends only
 * after the final record verified). A body that turns out cut or altered
 * while nothing was answered yet is answered at once, sealed, with its code.
 */
async function streamedUpload(server: SealwireServer, exchange: SealwireExchange<unknown>, req: Request, res: Response): Promise<Upload | undefined> {
  const key = await exchange.bodyKey()
  if (key === undefined) return undefined
  const upload: Upload = {}
  req.body = plaintextBody(req, key, server.maxUploadBytes, (error) => {
    if (upload.streaming === true || upload.error !== undefined) return
    upload.error = error
    res.end() // through the capture: answered with the code, unless the handler answered first
  })
  return upload
}

/** The handler's first write, for a requester that reads sealed streams: the answer streams from here. */
function startStream(server: SealwireServer, exchange: SealwireExchange<unknown>, req: Request, res: Response, raw: RawResponse, capture: { release(): void }, violated: boolean, upload: Upload | undefined): StreamSwitch | undefined {
  // Refusals found later are one-shot answers: keep capturing.
  if (violated || upload?.error !== undefined) return undefined
  if (upload !== undefined) upload.streaming = true
  const start = exchange.stream({ status: res.statusCode, contentType: contentTypeOf(res), contentEncoding: res.getHeader('content-encoding')?.toString(), route: routeOf(req), headers: nodeResponseHeaders(res) })
  return streamSink(res, raw, start, {
    dropped: server.droppedResponseHeaders,
    failed: () => isDefaultErrorPage(res),
    fallback(outgoing) {
      capture.release()
      for (const name of server.droppedResponseHeaders) res.removeHeader(name)
      writeOutgoing(res, outgoing)
    },
  })
}

/**
 * Express middleware: every request it sees must be sealed. It runs the
 * server checks, puts the decrypted body in `req.body` and the verified
 * claims in `req.sealwire`, and seals whatever the handler sends
 * (`res.json`, `res.send`, `res.status(…).end`, `res.redirect`, `res.sendFile`,
 * error handlers) with the requester's response key. It also serves the JWK
 * Set (GET `server.jwksPath`) when mounted where that path reaches it.
 *
 * Streams (docs/PROTOCOL.md §12): for a client that reads sealed streams, a
 * handler's first `res.write` (or `res.flushHeaders()`) starts a streamed
 * answer, each write sealed as one record and sent at once; any other client
 * gets one envelope when the handler ends. A streamed upload's plaintext is
 * `req.body`, a Node Readable that errors with the stream's code when the body
 * is cut or altered.
 *
 * Mount it before any body parser (it reads the raw envelope; a consumed body
 * is reported as an error) and after CORS (preflights carry no envelope).
 * A handler's throw answers a sealed 500 `internal_error`, without the stack.
 *
 * @example
 * import express from 'express'
 * import { createSealwireServer } from '@sealwire/server'
 * import { sealwireExpress } from '@sealwire/server/express'
 *
 * const sealwire = createSealwireServer({ keys })
 * const app = express()
 * app.use(sealwireExpress(sealwire)) // every route sealed, JWK Set served
 * app.post('/api/transfer', sealwireExpress(sealwire, { schema: Transfer }), (req, res) => {
 *   // req.body typed from Transfer; res.locals.sealwire: the verified claims
 *   res.status(201).json({ ok: true, amount: req.body.amount, kid: res.locals.sealwire.kid }) // sealed on the way out
 * })
 */
export function sealwireExpress<S extends StandardSchemaV1 = StandardSchemaV1<unknown>>(
  server: SealwireServer,
  options: SealwireExpressOptions<S> = {},
): RequestHandler<Record<string, string>, unknown, InferOutput<S>, Request['query'], SealwireExpressLocals> {
  if (typeof server?.open !== 'function') throw new TypeError('sealwireExpress: pass the server from createSealwireServer()')
  const schema = options.schema
  if (schema !== undefined && !isStandardSchema(schema)) throw new TypeError('sealwireExpress: schema must be a Standard Schema (zod 3.24+ or 4, Valibot, ArkType…)')
  const route = schema === undefined ? undefined : { schema }
  const warnSecondEngine = secondEngineWarning('sealwireExpress()')
  return async function sealwireExpressMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const target = req.originalUrl || req.url
      if (server.isJwksRequest(req.method, target)) return writeOutgoing(res, await server.jwks(target))

      const upstream = opened.get(req)
      if (upstream !== undefined) {
        if (upstream.server !== server) {
          warnSecondEngine()
          upstream.release()
          return writeOutgoing(res, await upstream.exchange.fail(routeOf(req)))
        }
        // Already opened by an app-wide sealwireExpress(): only this route's schema is left.
        if (schema === undefined) return next()
        const refined = await upstream.exchange.refine(schema)
        if (!refined.ok) {
          upstream.release()
          return writeOutgoing(res, refined.response)
        }
        req.body = refined.body
        return next()
      }

      if (bodyConsumed(req)) return next(new Error(CONSUMED))

      const streamed = closeAfterStreamedUpload(req, res)
      const outcome = await server.open(incomingFromNode(req, target), route)
      if (!outcome.ok) return writeOutgoing(res, outcome.response)
      const { exchange } = outcome
      // The router dispatches on req.method: nothing behind us may change it (method-override).
      // Locked first: the lock's accessor puts req in V8's dictionary form, where adding req.body
      // and req.sealwire costs a hash insert. Before it, Express's per-request maps of req made each
      // new property copy its whole descriptor list (~1.7 KB of garbage per property).
      const method = lockMethod(req, exchange.claims.htm)
      req.body = exchange.body
      req.sealwire = exchange.claims
      res.locals.sealwire = exchange.claims
      prepareHandlerHeaders(req, exchange.body !== null)
      // The sealed head, restored before anything behind us runs (authentication
      // middleware reads the sealed Authorization; req.query the sealed query).
      const query = restoreSealedHead(req, exchange.head)
      if (query !== '') {
        req.originalUrl += query
        // Express 5 computes req.query from req.url on each read; Express 4 parsed it into an own
        // property before any middleware ran, so it is parsed again, with the app's own parser.
        if (Object.hasOwn(req, 'query')) {
          const parse = req.app.get('query parser fn') as ((query: string) => unknown) | undefined
          if (typeof parse === 'function') (req as { query: unknown }).query = parse(query.slice(1))
        }
      }
      // Sealed streams (docs/PROTOCOL.md §12): an upload's plaintext is req.body, a Node Readable.
      // Only a streamed upload has a body stream key (the engine refuses one whose media type and
      // salt disagree): any other request skips the call and its await.
      const upload = streamed ? await streamedUpload(server, exchange, req, res) : undefined
      const capture = captureResponse(res, async (body) => {
        let sealed
        try {
          if (upload?.error !== undefined) {
            sealed = await exchange.refuse(upload.error, routeOf(req))
          } else if (method.violated) {
            sealed = await exchange.refuse(new SealwireError('binding_mismatch'), routeOf(req))
          } else if (!isDefaultErrorPage(res)) {
            sealed = await exchange.reply({ status: res.statusCode, contentType: contentTypeOf(res), contentEncoding: res.getHeader('content-encoding')?.toString(), body, route: routeOf(req), headers: nodeResponseHeaders(res) })
          } else if (res.statusCode >= 500) {
            sealed = await exchange.fail(routeOf(req))
          } else {
            sealed = await exchange.reply({ status: res.statusCode, contentType: 'text/plain; charset=utf-8', body: res.statusMessage || String(res.statusCode), route: routeOf(req) })
          }
        } catch {
          // Sealing itself failed: never fall back to plaintext.
          sealed = server.internalError()
        }
        capture.release()
        for (const name of server.droppedResponseHeaders) res.removeHeader(name)
        writeOutgoing(res, sealed)
      }, exchange.streams ? (raw) => startStream(server, exchange, req, res, raw, capture, method.violated, upload) : undefined)
      opened.set(req, { server, exchange, release: capture.release })
      next()
    } catch (err) {
      next(err)
    }
  }
}
