import { Buffer } from 'node:buffer'
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { SealedHead } from '../exchange.js'
import { STREAM_MEDIA_TYPE } from '@sealwire/core'
import { mediaTypeEssence } from '../envelope.js'
import { rewriteHandlerHeaders } from '../handler-request-headers.js'
import type { BodySource, IncomingRequest, OutgoingResponse } from '../types.js'
import { readNodeLine } from './read-line.js'
import { readNodeStream } from './read-stream.js'

/** The body of a Node request (or of any Node stream) as the engine reads it: with the stream's events, see `readNodeStream`. */
export function nodeBody(stream: NodeJS.ReadableStream): BodySource {
  return { readUpTo: (maxBytes) => readNodeStream(stream, maxBytes), readLine: (maxBytes) => readNodeLine(stream as Parameters<typeof readNodeLine>[0], maxBytes) }
}

/**
 * Whether a Node request carries a body. HTTP/1.1: only Content-Length or
 * Transfer-Encoding announce one (RFC 9112 §6.3). HTTP/2 frames the body
 * itself, and Content-Length is optional there (RFC 9113 §8.1): a request whose
 * HEADERS frame did not end the stream has a body (the compat API's
 * `req.stream.endAfterHeaders`). Missing that, an honest body without a length
 * was refused, and an envelope header beside a body let the body through unread.
 */
export function nodeHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  if (req.headers['transfer-encoding'] !== undefined) return true
  if (length !== undefined) return Number(length) !== 0
  const stream = (req as { stream?: { endAfterHeaders?: unknown } }).stream
  return stream !== undefined && stream.endAfterHeaders === false
}

/**
 * A Node request as the engine sees it. The connection's own TLS state and
 * peer address come from the socket, never from a framework's `trust proxy`
 * setting: Sealwire applies its own `trustedProxies`.
 *
 * @param target the origin-form target as received (`req.originalUrl` in Express)
 * @param route the route template for events, where the framework knows it before routing
 */
export function incomingFromNode(req: IncomingMessage, target: string, body: (() => BodySource | null) | undefined = undefined, route?: string): IncomingRequest {
  const headers = req.headers
  return {
    route,
    method: req.method ?? 'GET',
    target,
    header(name) {
      const value = headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
    hasBody: nodeHasBody(req),
    body: body ?? (() => nodeBody(req)),
    // HTTP/2 (compat API) carries the authority as a pseudo-header; HTTP/1.1 as Host.
    authority: (headers[':authority'] as string | undefined) ?? headers.host,
    secure: (req.socket as Partial<TLSSocket> | null)?.encrypted === true,
    peer: req.socket?.remoteAddress,
  }
}

/**
 * The request headers as the handler sees them (see HANDLER_DROPPED_REQUEST_HEADERS):
 * no envelope header, no conditional or range header (so the framework never
 * answers a sealed request with a 304 or 206), and the body described as the
 * decrypted JSON in the framework's body slot. Call once the body is read.
 */
export function prepareHandlerHeaders(req: IncomingMessage, hasBody: boolean): void {
  rewriteHandlerHeaders(req.headers, hasBody)
}

/**
 * Restores the sealed head (docs/PROTOCOL.md §3.5) on a Node request, as if
 * the client had sent it in clear: the sealed fields among the headers (and
 * raw headers), the query back on `req.url`. Returns the query suffix
 * (`?…`, or '') for the framework's own copies of the URL.
 */
export function restoreSealedHead(req: IncomingMessage, head: SealedHead | undefined): string {
  if (head === undefined) return ''
  for (const [name, value] of head.headers) {
    req.headers[name] = value
    req.rawHeaders.push(name, value)
  }
  if (head.query === undefined) return ''
  const suffix = `?${head.query}`
  // The wire target had no query (the binding checked it): the path stays, the query comes back.
  req.url = `${req.url ?? '/'}${suffix}`
  return suffix
}

/**
 * The handler's response fields, lowercase, as the engine reads them to seal
 * some. Read when iterated, and the engine iterates them only for a requester
 * that announced the sealed head: every other answer skips a tuple per field.
 */
export function nodeResponseHeaders(res: ServerResponse): Iterable<[string, string]> {
  return { [Symbol.iterator]: () => responseFields(res)[Symbol.iterator]() }
}

function responseFields(res: ServerResponse): Array<[string, string]> {
  const fields: Array<[string, string]> = []
  for (const name of res.getHeaderNames()) {
    const value = res.getHeader(name)
    if (value !== undefined) fields.push([name, Array.isArray(value) ? value.join(', ') : String(value)])
  }
  return fields
}

/**
 * An answer to a streamed upload (docs/PROTOCOL.md §12) may go out before its
 * records were read — a refusal, a handler that answers without reading. Node
 * keeps such an unread body on a kept-alive connection, stalled until its
 * timeout, with the next request behind it: the connection closes after the
 * answer instead. HTTP/1.1 only (HTTP/2 streams end on their own).
 *
 * @returns whether the request is a streamed upload (on any HTTP version), so
 * the adapter looks for its body key only then
 */
export function closeAfterStreamedUpload(req: IncomingMessage, res: ServerResponse): boolean {
  const streamed = mediaTypeEssence(req.headers['content-type']) === STREAM_MEDIA_TYPE
  if (streamed && req.httpVersionMajor === 1) res.setHeader('connection', 'close')
  return streamed
}

/**
 * Writes an engine response with Node's own `writeHead`/`end`. The reason
 * phrase is the standard one for the status: a handler's own
 * (`res.statusMessage = …`, `writeHead(409, '…')`) would travel in clear
 * beside the sealed body.
 */
export function writeOutgoing(res: ServerResponse, outgoing: OutgoingResponse): void {
  // Fields sealed inside the answer leave the clear response.
  if (outgoing.sealedHeaders !== undefined) for (const name of outgoing.sealedHeaders) res.removeHeader(name)
  const headers = outgoing.headers
  for (const name in headers) res.setHeader(name, headers[name]!)
  // The rest of an oversized body is not read: closing stops the upload (RFC 9110 §15.5.14).
  if (outgoing.status === 413) res.setHeader('connection', 'close')
  res.statusCode = outgoing.status
  res.statusMessage = STATUS_CODES[outgoing.status] ?? ''
  // Framed by its own length: the handler's Content-Length and Transfer-Encoding were
  // removed above, and once both are removed Node frames the body by closing the
  // connection, after announcing keep-alive — clients that hold the connection open hang.
  // A 204 or 304 has no body and carries no length (RFC 9110 §8.6).
  if (outgoing.status !== 204 && outgoing.status !== 304) res.setHeader('content-length', Buffer.byteLength(outgoing.body))
  res.end(outgoing.body)
}
