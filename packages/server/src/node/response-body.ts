import { Buffer } from 'node:buffer'

/**
 * UTF-8 by Buffer, cut from its shared pool for a body of a few KiB: on Node 20
 * `TextEncoder.encode` allocates a fresh ArrayBuffer per call, which cost tens
 * of microseconds a response under load (the same bytes otherwise).
 */
const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8')

/**
 * The bytes of a response body as Node frameworks hold it before sending:
 * text, bytes, a Node or web stream, a Blob, or a value to serialize as JSON.
 * A sealed response is one envelope, so streams are read to the end here.
 */
export async function responseBytes(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array(0)
  if (typeof body === 'string') return utf8(body)
  if (body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (typeof Blob !== 'undefined' && body instanceof Blob) return new Uint8Array(await body.arrayBuffer())
  if (typeof Response !== 'undefined' && body instanceof Response) return new Uint8Array(await body.arrayBuffer())
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return new Uint8Array(await new Response(body).arrayBuffer())
  if (typeof (body as { pipe?: unknown }).pipe === 'function' && Symbol.asyncIterator in (body as object)) {
    const chunks: Uint8Array[] = []
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? utf8(chunk) : chunk)
    return Buffer.concat(chunks)
  }
  return utf8(JSON.stringify(body))
}
