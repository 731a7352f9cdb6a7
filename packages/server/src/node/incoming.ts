import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { rewriteHandlerHeaders } from '../handler-request-headers.js'
import type { BodySource, IncomingRequest, OutgoingResponse } from '../types.js'
import { readNodeStream } from './read-stream.js'

/** The body of a Node request (or of any Node stream) as the engine reads it: with the stream's events, see `readNodeStream`. */
export function nodeBody(stream: NodeJS.ReadableStream): BodySource {
  return { readUpTo: (maxBytes) => readNodeStream(stream, maxBytes) }
}

/** Node's view of an HTTP/1.1 body: only Content-Length or Transfer-Encoding announce one (RFC 9112 §6.3). */
export function nodeHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0)
}

/**
 * A Node request as the engine sees it. The connection's own TLS state and
 * peer address come from the socket, never from a framework's `trust proxy`
 * setting: Sealwire applies its own `trustedProxies`.
 *
 * @param target the origin-form target as received (`req.originalUrl` in Express)
 */
export function incomingFromNode(req: IncomingMessage, target: string, body: () => BodySource | null = () => nodeBody(req)): IncomingRequest {
  const headers = req.headers
  return {
    method: req.method ?? 'GET',
    target,
    header(name) {
      const value = headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
    hasBody: nodeHasBody(req),
    body,
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
 * Writes an engine response with Node's own `writeHead`/`end`. The reason
 * phrase is the standard one for the status: a handler's own
 * (`res.statusMessage = …`, `writeHead(409, '…')`) would travel in clear
 * beside the sealed body.
 */
export function writeOutgoing(res: ServerResponse, outgoing: OutgoingResponse): void {
  const headers: OutgoingHttpHeaders = { ...outgoing.headers }
  // The rest of an oversized body is not read: closing stops the upload (RFC 9110 §15.5.14).
  if (outgoing.status === 413) headers.connection = 'close'
  for (const name in headers) res.setHeader(name, headers[name]!)
  res.statusCode = outgoing.status
  res.statusMessage = STATUS_CODES[outgoing.status] ?? ''
  res.end(outgoing.body)
}
