import { isStandardSchema, type InferOutput, type RequestClaims, type StandardSchemaV1 } from '@sealwire/core'
import type { SealwireServer } from '../create-server.js'
import { DECRYPTED_BODY_MEDIA_TYPE, isDroppedRequestHeader } from '../handler-request-headers.js'
import { requireSharedReplayStore } from '../shared-replay-store.js'
import { forwardedProto } from '../transport.js'
import type { BodySource, IncomingRequest, OutgoingResponse } from '../types.js'

/**
 * The event of an API Gateway HTTP API (payload format 2.0) or a Lambda
 * Function URL: the members Sealwire reads, vendored so that no AWS typings
 * are needed (same shape as `APIGatewayProxyEventV2` of @types/aws-lambda).
 */
export interface LambdaHttpEvent {
  /**
   * `'2.0'`, checked when the handler runs (a REST API's 1.0 event is refused
   * loudly). Typed `string`, as @types/aws-lambda types it, so that the wrapped
   * handler is an `APIGatewayProxyHandlerV2`.
   */
  version: string
  routeKey: string
  /** Path as the client sent it (HTTP API: with the stage prefix, if any). */
  rawPath: string
  /** Query string as sent, without `?`. */
  rawQueryString: string
  cookies?: string[]
  /** Lowercase names; repeated headers joined with commas. */
  headers: Record<string, string | undefined>
  queryStringParameters?: Record<string, string | undefined>
  pathParameters?: Record<string, string | undefined> | null
  stageVariables?: Record<string, string | undefined> | null
  requestContext: {
    accountId: string
    apiId: string
    domainName: string
    domainPrefix?: string
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string }
    requestId: string
    routeKey: string
    stage: string
    time: string
    timeEpoch: number
    /** Set by an HTTP API authorizer (JWT, Lambda or IAM); Sealwire does not read it. */
    authorizer?: unknown
    /** The client certificate under mutual TLS; Sealwire does not read it. */
    authentication?: unknown
  }
  body?: string | null
  isBase64Encoded: boolean
}

/** The structured result of payload format 2.0. */
export interface LambdaHttpResult {
  statusCode: number
  headers?: Record<string, string | number | boolean>
  cookies?: string[]
  body?: string
  isBase64Encoded?: boolean
}

/** The event a wrapped handler receives: the decrypted body as JSON text, and `sealwire`. */
export type SealwireLambdaEvent<T = unknown> = LambdaHttpEvent & {
  readonly sealwire: { readonly body: T; readonly claims: RequestClaims }
}

/** Options of `sealwireLambda`. */
export interface SealwireLambdaOptions<S extends StandardSchemaV1 = StandardSchemaV1<unknown>> {
  /** Route schema of the decrypted body; `event.sealwire.body` is typed from it. */
  schema?: S
}

/**
 * `queryStringParameters` as API Gateway builds it for payload 2.0: decoded
 * names and values, a repeated name's values joined with commas.
 */
function queryParameters(query: string): Record<string, string> {
  const params: Record<string, string> = {}
  new URLSearchParams(query).forEach((value, name) => {
    params[name] = Object.hasOwn(params, name) ? `${params[name]},${value}` : value
  })
  return params
}

function lowercaseHeaders(headers: LambdaHttpEvent['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) out[name.toLowerCase()] = value
  }
  return out
}

/**
 * A text body as the engine reads it, without the round trip through bytes:
 * the envelope is the text itself, counted in UTF-8 bytes against the cap.
 */
function textBody(text: string): BodySource {
  return { readUpTo: async (maxBytes) => (Buffer.byteLength(text, 'utf8') > maxBytes ? undefined : text) }
}

/**
 * The headers the handler's event carries (see HANDLER_DROPPED_REQUEST_HEADERS),
 * built by skipping the dropped fields rather than copying and deleting them:
 * a delete turns the object into V8's slow dictionary form.
 */
function handlerHeaders(headers: Record<string, string>, hasBody: boolean): Record<string, string | undefined> {
  const inner: Record<string, string | undefined> = {}
  for (const name in headers) if (!isDroppedRequestHeader(name)) inner[name] = headers[name]
  if (hasBody) inner['content-type'] = DECRYPTED_BODY_MEDIA_TYPE
  return inner
}

/** Where an event keeps its body's JSON text once made (a symbol: no handler or serializer sees it). */
const BODY_TEXT = Symbol('sealwire.bodyText')

type HandlerEvent = SealwireLambdaEvent & { [BODY_TEXT]?: string | undefined }

/**
 * `event.body`: the decrypted body's JSON text, made on its first read.
 * Serializing it up front was the largest cost the adapter added to a call,
 * paid again by every handler that takes `event.sealwire.body` instead.
 * Writable like any member of the event.
 *
 * One getter and one setter for every event, added as a new last member: V8
 * keeps such events in one fast layout. Redefining the copied `body` (not the
 * last member), or fresh accessor functions per event, turned each event into a
 * slow dictionary object, for V8 and for the handler's every read.
 */
const BODY_ON_READ: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: HandlerEvent): string {
    return (this[BODY_TEXT] ??= JSON.stringify(this.sealwire.body))
  },
  set(this: HandlerEvent, value: unknown) {
    Object.defineProperty(this, 'body', { value, writable: true, enumerable: true, configurable: true })
  },
}

/**
 * Copies `from`'s own members into `to`, one by one. A literal spreading a
 * second object (`{ ...event, ...more }`) takes a slow runtime path in V8 (a
 * few microseconds each, measured on Node 20, several per call).
 */
function copyMembers(to: Record<string, unknown>, from: object, skip?: string): void {
  for (const name in from) if (name !== skip && Object.hasOwn(from, name)) to[name] = (from as Record<string, unknown>)[name]
}

/** The event the handler gets: the platform's members but the envelope, the sealed head's, the decrypted body. */
function handlerEvent(event: LambdaHttpEvent, members: Partial<LambdaHttpEvent>, sealwire: SealwireLambdaEvent['sealwire']): SealwireLambdaEvent {
  const inner: Record<string | symbol, unknown> = {}
  copyMembers(inner, event, 'body')
  copyMembers(inner, members)
  inner.isBase64Encoded = false
  inner.sealwire = sealwire
  if (sealwire.body === null) {
    inner.body = undefined
    return inner as unknown as SealwireLambdaEvent
  }
  inner[BODY_TEXT] = undefined
  return Object.defineProperty(inner, 'body', BODY_ON_READ) as unknown as SealwireLambdaEvent
}

/** The result's fields, read when iterated: only an answer sealing its head reads them. */
const fieldsOf = (headers: Record<string, string>): Iterable<[string, string]> => ({ [Symbol.iterator]: () => Object.entries(headers)[Symbol.iterator]() })

function isHttpEvent(event: unknown): event is LambdaHttpEvent {
  const e = event as Partial<LambdaHttpEvent> | null
  return e?.version === '2.0' && typeof e.rawPath === 'string' && typeof e.requestContext?.http?.method === 'string'
}

function toResult(outgoing: OutgoingResponse, base: Record<string, string> = {}, cookies?: string[]): LambdaHttpResult {
  const headers: Record<string, string> = {}
  copyMembers(headers, base)
  copyMembers(headers, outgoing.headers)
  const result: LambdaHttpResult = { statusCode: outgoing.status, headers, body: outgoing.body, isBase64Encoded: false }
  if (cookies !== undefined) result.cookies = cookies
  return result
}

/**
 * A handler's return value as payload format 2.0 reads it: a result object
 * with `statusCode`, or any other value, which API Gateway sends as a 200
 * `application/json` body.
 */
function normalize(value: unknown): { status: number; headers: Record<string, string>; body: Uint8Array | string; cookies?: string[] } {
  if (typeof value === 'object' && value !== null && typeof (value as LambdaHttpResult).statusCode === 'number') {
    const r = value as LambdaHttpResult
    const headers: Record<string, string> = {}
    for (const name in r.headers) headers[name.toLowerCase()] = String(r.headers[name])
    const body = r.body === undefined ? '' : r.isBase64Encoded === true ? Buffer.from(r.body, 'base64') : r.body
    return { status: r.statusCode, headers, body, ...(r.cookies === undefined ? {} : { cookies: r.cookies }) }
  }
  return { status: 200, headers: { 'content-type': 'application/json' }, body: value === undefined ? '' : JSON.stringify(value) }
}

/**
 * Wraps an AWS Lambda handler for API Gateway HTTP APIs (payload format 2.0)
 * and Function URLs: every request must be sealed; the handler gets the event
 * with the decrypted body (`JSON.parse(event.body)`, or typed in
 * `event.sealwire.body`) and the claims; its result is sealed. Also serves
 * the JWK Set. The target bound in the envelope is `rawPath` + `rawQueryString`,
 * exactly as the client sent them (with the stage prefix, if any).
 *
 * Transport: both front doors accept HTTPS only and tell the client's scheme
 * in `x-forwarded-proto`; a local emulator that says `http` is refused
 * unless the server allows it (`allowInsecureLoopback` with a loopback
 * `sourceIp`, or `requireTls: false`).
 *
 * Replays: Lambda runs many instances, so the server needs a shared replay
 * store; one with the default memory store is refused here (`TypeError`)
 * unless it was created with `singleInstance: true`.
 *
 * Streams (docs/PROTOCOL.md §12): none. API Gateway's integration buffers the
 * function's answer and hands it the request already buffered, so every answer
 * is one envelope (a client that reads streams reads it too), and a streamed
 * upload is refused 415 before anything runs, its detail saying to send the
 * body inside the envelope. (Lambda response streaming needs the runtime's
 * `awslambda.streamifyResponse` and a Function URL in RESPONSE_STREAM mode,
 * which an event-in, result-out wrapper cannot give.)
 *
 * @example
 * import { createSealwireServer } from '@sealwire/server'
 * import { sealwireLambda } from '@sealwire/server/lambda'
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
 * import { DynamoDBReplayStore } from '@sealwire/dynamodb'
 *
 * const replayStore = new DynamoDBReplayStore({ client: new DynamoDBClient({}), tableName: 'sealwire-replay' })
 * const sealwire = createSealwireServer({ keys: JSON.parse(process.env.SEALWIRE_PRIVATE_JWKS!), replayStore })
 * export const handler = sealwireLambda(sealwire, async (event) => ({
 *   statusCode: 200,
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ ok: true, amount: event.sealwire.body.amount }),
 * }), { schema: Transfer })
 */
export function sealwireLambda<S extends StandardSchemaV1 = StandardSchemaV1<unknown>, C = unknown>(
  server: SealwireServer,
  handler: (event: SealwireLambdaEvent<InferOutput<S>>, context: C) => unknown,
  options: SealwireLambdaOptions<S> = {},
): (event: LambdaHttpEvent, context: C) => Promise<LambdaHttpResult> {
  if (typeof server?.open !== 'function') throw new TypeError('sealwireLambda: pass the server from createSealwireServer()')
  if (typeof handler !== 'function') throw new TypeError('sealwireLambda: handler must be a function')
  requireSharedReplayStore(server, 'sealwireLambda', 'Lambda')
  const schema = options.schema
  if (schema !== undefined && !isStandardSchema(schema)) throw new TypeError('sealwireLambda: schema must be a Standard Schema (zod 3.24+ or 4, Valibot, ArkType…)')
  const route = schema === undefined ? undefined : { schema }

  return async function sealwireLambdaHandler(event: LambdaHttpEvent, context: C): Promise<LambdaHttpResult> {
    // A REST API (payload 1.0) or another trigger is a deployment mistake: say so loudly.
    if (!isHttpEvent(event)) throw new TypeError('sealwireLambda: expected an API Gateway HTTP API (payload format 2.0) or Function URL event')
    const method = event.requestContext.http.method.toUpperCase()
    const target = event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath
    if (server.isJwksRequest(method, target)) return toResult(await server.jwks(target))

    const headers = lowercaseHeaders(event.headers)
    const raw = event.body ?? undefined
    const body: BodySource | null = raw === undefined || raw === '' ? null : event.isBase64Encoded ? Buffer.from(raw, 'base64') : textBody(raw)
    const incoming: IncomingRequest = {
      method,
      target,
      // Payload 2.0 moves Cookie out of the headers into `cookies`: still a clear cookie.
      header: (name) => (name === 'cookie' && event.cookies !== undefined && event.cookies.length > 0 ? event.cookies.join('; ') : headers[name]),
      hasBody: body !== null,
      body: () => body,
      // Set by API Gateway / the Function URL front end, which is this function's only peer.
      secure: forwardedProto(headers['x-forwarded-proto']) === 'https',
      // The Host the front end received (API Gateway and Function URLs pass it on); its own domain otherwise.
      authority: headers.host ?? event.requestContext.domainName,
      peer: event.requestContext.http.sourceIp,
      // The route key (`POST /items/{id}`) is a template; `$default` says nothing, and the raw path is unbounded.
      route: event.routeKey && event.routeKey !== '$default' ? event.routeKey : undefined,
      // The front door is this function's only peer, and adds X-Forwarded-* itself:
      // `sourceIp` is the client's own address as AWS (or a local emulator) saw it.
      forwarded: false,
    }
    const outcome = await server.open(incoming, route)
    if (!outcome.ok) return toResult(outcome.response)
    const { exchange } = outcome

    const innerHeaders = handlerHeaders(headers, exchange.body !== null)
    // The sealed head (docs/PROTOCOL.md §3.5): fields among the headers, the query back in the event.
    const head = exchange.head
    // A sealed Cookie goes where payload 2.0 puts cookies (`cookies`), as API Gateway would have.
    const restored: { cookies?: string[] } = {}
    for (const [name, value] of head?.headers ?? []) {
      if (name === 'cookie') restored.cookies = value.split(/;\s*/).filter((c) => c !== '')
      else innerHeaders[name] = value
    }
    const query = head?.query === undefined ? {} : { rawQueryString: head.query, queryStringParameters: queryParameters(head.query) }
    const inner = handlerEvent(event, head === undefined ? { headers: innerHeaders } : { ...restored, ...query, headers: innerHeaders }, { body: exchange.body, claims: exchange.claims }) as SealwireLambdaEvent<InferOutput<S>>

    let answer: ReturnType<typeof normalize>
    try {
      answer = normalize(await handler(inner, context))
    } catch {
      return toResult(await exchange.fail())
    }
    let sealed: OutgoingResponse
    try {
      sealed = await exchange.reply({ status: answer.status, contentType: answer.headers['content-type'], contentEncoding: answer.headers['content-encoding'], body: answer.body, headers: fieldsOf(answer.headers) })
    } catch {
      sealed = server.internalError()
    }
    const kept: Record<string, string> = {}
    const dropped = server.droppedResponseHeaders
    const sealedNames = sealed.sealedHeaders ?? []
    for (const name in answer.headers) if (!dropped.includes(name) && !sealedNames.includes(name)) kept[name] = answer.headers[name]!
    // Payload 2.0 sends cookies from `cookies`, not a Set-Cookie header.
    return toResult(sealed, kept, dropped.includes('set-cookie') ? undefined : answer.cookies)
  }
}
