import { STREAM_MEDIA_TYPE, type InferOutput, type SealwireError, type StandardSchemaV1 } from '@sealwire/core'
import type { SealwireServer } from './create-server.js'
import { mediaTypeEssence } from './envelope.js'
import type { SealwireExchange } from './exchange.js'
import { readHandlerBody, streamedBody, uploadBody, type HandlerBody } from './fetch-stream.js'
import { requestUrlTransport } from './request-url-transport.js'
import type { BodyReader, IncomingRequest, OutgoingResponse } from './types.js'

/** Options of `server.handle` for one web `Request`. */
export interface FetchHandleOptions<S extends StandardSchemaV1 = StandardSchemaV1<unknown>> {
  /** Route schema of the decrypted body (step 11). */
  schema?: S | undefined
  /** Address of the connection's peer, where the platform tells it (for trusted proxies and loopback). */
  peer?: string | undefined
  /** Route label for events (a template such as `/users/:id`). Default `*`: never the raw path. */
  route?: string | undefined
}

/**
 * A body of declared length, read whole with the platform's own reader: the
 * cheapest path (@hono/node-server reads its Node request directly, without
 * building a `ReadableStream`). Bounded: step 3 refused a Content-Length over
 * the cap before this runs, and with no Transfer-Encoding beside it the
 * runtime's HTTP parser delivers exactly that many bytes (RFC 9112 §6.2–6.3,
 * RFC 9113 §8.1.1); the bytes are counted again all the same.
 */
function wholeBody(request: Request): BodyReader {
  return {
    // As text: the envelope is ASCII, and the runtime's own decoder skips a copy of the
    // bytes and a second decode. Counted in UTF-16 units, which a byte count never undercuts.
    async readUpTo(maxBytes) {
      const text = await request.text()
      return text.length > maxBytes ? undefined : text
    },
  }
}

/**
 * The handler's whole Response body, for one envelope: its chunks read off the
 * body's own reader, and a body of one chunk (`Response.json`, a string, Hono's
 * `c.json`) handed on as it came. `arrayBuffer()` gives the same bytes at twice
 * the cost on Node 20 (a second reader loop inside undici, its checks and
 * closures, and a copy). A chunk that is not bytes fails as it does there.
 */
async function wholeResponseBody(response: Response): Promise<Uint8Array> {
  const body = response.body
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  let first: Uint8Array | undefined
  let more: Uint8Array[] | undefined
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (!(value instanceof Uint8Array)) throw new TypeError('Response body chunk is not a Uint8Array')
    total += value.byteLength
    if (first === undefined) first = value
    else (more ??= [first]).push(value)
  }
  if (more === undefined) return first ?? new Uint8Array(0)
  const whole = new Uint8Array(total)
  let at = 0
  for (const chunk of more) {
    whole.set(chunk, at)
    at += chunk.byteLength
  }
  return whole
}

/** Whether a body is a streamed upload (docs/PROTOCOL.md §12). */
const isStreamedBody = (headers: Headers): boolean => mediaTypeEssence(headers.get('content-type') ?? undefined) === STREAM_MEDIA_TYPE

/**
 * A web `Request` as the engine sees it, for a custom adapter. The
 * connection's TLS state is the URL's scheme where only the connection can
 * have made it: Workers, Deno and Bun always, any host when the request has
 * no `X-Forwarded-Proto` or `Forwarded` header. Next.js builds the URL from
 * `X-Forwarded-Proto`, so there (and wherever those headers come with an
 * unknown host) https is believed only from a trusted proxy's header, with a
 * known `peer` (docs/PROTOCOL.md §5, step 1).
 *
 * @example
 * const outcome = await sealwire.open(incomingFromRequest(request, { peer }))
 * if (!outcome.ok) return toResponse(outcome.response)
 */
export function incomingFromRequest(request: Request, options: { peer?: string | undefined; route?: string | undefined } = {}): IncomingRequest {
  const url = new URL(request.url)
  const headers = request.headers
  const length = headers.get('content-length')
  // Step 1's view of the URL: on hosts that build it from forwarding headers, its scheme is no proof of TLS.
  const transport = requestUrlTransport(request, url, options.peer)
  const hidden = transport.hidden
  return {
    method: request.method,
    target: url.pathname + url.search,
    header: hidden.length === 0 ? (name) => headers.get(name) ?? undefined : (name) => (hidden.includes(name) ? undefined : (headers.get(name) ?? undefined)),
    // Content-Length decides where there is one (a 0 still has a stream in some runtimes).
    hasBody: length !== null ? Number(length.trim()) !== 0 : request.body !== null,
    // A plain decimal length was checked against the cap in step 3, and without Transfer-Encoding
    // it frames the body; anything else streams under the cap. Some parsers (workerd, Node's
    // insecureHTTPParser) keep a Content-Length beside a chunked body of any size. A streamed
    // upload (§12) is read as a stream whatever its framing: records, not an envelope's text.
    body: () => (length !== null && /^\d{1,16}$/.test(length.trim()) && !headers.has('transfer-encoding') && !isStreamedBody(headers) ? wholeBody(request) : request.body),
    // The runtime builds request.url from the Host (or :authority) it received.
    authority: url.host,
    secure: transport.secure,
    peer: transport.peer,
    route: options.route,
    forwarded: transport.forwarded,
    transportNote: transport.note,
  }
}

/**
 * An engine response as a web `Response`, on top of `base` headers (the handler's).
 *
 * @example
 * return toResponse(await sealwire.jwks())
 */
export function toResponse(outgoing: OutgoingResponse, base?: Headers): Response {
  let headers: HeadersInit = outgoing.headers
  if (base !== undefined) {
    for (const name in outgoing.headers) base.set(name, outgoing.headers[name]!)
    headers = base
  }
  // A 204 (a preflight's answer) must have a null body: `new Response('', { status: 204 })` throws.
  return new Response(outgoing.status === 204 ? null : outgoing.body, { status: outgoing.status, headers })
}

/** The engine's `handle`: check, run the handler, seal its Response. */
export async function handleFetch<S extends StandardSchemaV1>(
  server: SealwireServer,
  request: Request,
  handler: (exchange: SealwireExchange<InferOutput<S>>, upload?: ReadableStream<Uint8Array>) => Response | Promise<Response>,
  options: FetchHandleOptions<S> = {},
): Promise<Response> {
  const incoming = incomingFromRequest(request, options)
  const outcome = await server.open(incoming, options)
  if (!outcome.ok) return toResponse(outcome.response)
  const { exchange } = outcome
  // A streamed upload (docs/PROTOCOL.md §12): the handler reads its plaintext as the body.
  let bodyError: SealwireError | undefined
  const bodyKey = outcome.records === undefined ? undefined : await exchange.bodyKey()
  const upload = bodyKey === undefined ? undefined : uploadBody(outcome.records!, bodyKey, server.maxUploadBytes, (error) => (bodyError ??= error))
  let response: Response
  let body: HandlerBody
  try {
    response = await handler(exchange, upload)
    // The upload turned out cut or altered before the handler answered: whatever it answered
    // (a framework's 500 for the error it threw, typically) gives way to the upload's code.
    if (bodyError !== undefined) {
      void response.body?.cancel().catch(() => undefined)
      return toResponse(await exchange.refuse(bodyError))
    }
    // One envelope, unless the requester reads sealed streams and the handler's body is one.
    body = exchange.streams ? await readHandlerBody(response) : { whole: await wholeResponseBody(response) }
  } catch {
    // A cut or altered upload the handler failed on: answered with the upload's code.
    return toResponse(bodyError === undefined ? await exchange.fail() : await exchange.refuse(bodyError))
  }
  // No contentEncoding here: a web Response's body reads decoded (a proxied fetch()
  // response keeps its Content-Encoding header over an already inflated body, and
  // Workers encode a body on the way out), so the bytes read are the plaintext.
  const fields: Array<[string, string]> = []
  let contentType: string | null = null
  response.headers.forEach((value, name) => {
    fields.push([name, value])
    if (name === 'content-type') contentType = value
  })
  if ('stream' in body) {
    const answer = await exchange.stream({ status: response.status, contentType, headers: fields })
    if ('write' in answer) return new Response(streamedBody(answer, body.stream), { status: answer.status, headers: answerHeaders(server, answer.headers, answer.sealedHeaders, fields) })
    void body.stream.reader.cancel().catch(() => undefined)
    return toResponse(answer)
  }
  const sealed = await exchange.reply({ status: response.status, contentType, body: body.whole, headers: fields })
  return new Response(sealed.body, { status: sealed.status, headers: answerHeaders(server, sealed.headers, sealed.sealedHeaders, fields) })
}

/**
 * The handler's fields that stay in clear, then the envelope's own, as a plain
 * record: every runtime takes one without building a Headers object first
 * (@hono/node-server writes it straight to the socket). A repeated field
 * (Set-Cookie) keeps its values apart in a list instead.
 */
function answerHeaders(server: SealwireServer, own: Record<string, string>, sealedNames: readonly string[] | undefined, fields: Array<[string, string]>): HeadersInit {
  const dropped = server.droppedResponseHeaders
  // No prototype: a field named like one of Object's members (`__proto__`) stays a field.
  const kept: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, own)
  let repeated: Array<[string, string]> | undefined
  for (const field of fields) {
    const name = field[0]
    if (Object.hasOwn(own, name) || dropped.includes(name) || sealedNames?.includes(name) === true) continue
    if (Object.hasOwn(kept, name)) (repeated ??= []).push(field)
    else kept[name] = field[1]
  }
  return repeated === undefined ? kept : [...Object.entries(kept), ...repeated]
}
