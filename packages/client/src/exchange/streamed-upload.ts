import { SealwireError, sealRequest } from '@sealwire/core'
import { createRecordWriter, type StreamKey } from '@sealwire/core/stream'
import type { ClientState } from '../client-state.js'
import type { openHttpResponse } from './open-http-response.js'
import type { requestNotSent } from './request-not-sent.js'
import type { SealedCall, takeHead } from './sealed-exchange.js'

/**
 * What the upload shares with every sealed exchange, handed over by it rather
 * than imported: an import would tie this lazy chunk to the eager one's
 * modules, and bundlers then split those into chunks of their own.
 */
export interface ExchangeParts {
  ownedHeaders: readonly string[]
  takeHead: typeof takeHead
  openHttpResponse: typeof openHttpResponse
  requestNotSent: typeof requestNotSent
}

/** What `client.fetch` takes as a streamed upload: a web `ReadableStream`, a Node `Readable`, any async iterable of bytes. */
export type UploadSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>


const encoder = new TextEncoder()

function bytesOf(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk
  if (typeof chunk === 'string') return encoder.encode(chunk)
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk)
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  throw new TypeError('A streamed body yields bytes (Uint8Array, Buffer) or strings; this one yielded something else')
}

function iterate(source: UploadSource): AsyncIterator<unknown> {
  if (typeof ReadableStream === 'function' && source instanceof ReadableStream) {
    const reader = source.getReader()
    return {
      next: () => reader.read() as Promise<IteratorResult<unknown>>,
      return: (reason?: unknown) => reader.cancel(reason).then(() => ({ done: true, value: undefined })),
    }
  }
  return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
}

/**
 * The wire body of a streamed upload: the envelope line, then each chunk of
 * the source sealed as its own record(s) the moment it is read, then the final
 * record. Pulled, so the source is read only as fast as the connection takes
 * it: memory stays one chunk. A source that fails errors the body before its
 * final record, so the server sees a cut stream (`stream_truncated`), never a
 * complete one.
 */
function recordBody(line: string, key: StreamKey, source: UploadSource): ReadableStream<Uint8Array> {
  const writer = createRecordWriter(key)
  const chunks = iterate(source)
  let started = false
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true
          return controller.enqueue(encoder.encode(line))
        }
        let enqueued = false
        const enqueue = (part: Uint8Array): void => {
          enqueued = true
          controller.enqueue(part)
        }
        // A pull that enqueues nothing is not called again: an empty chunk seals to no record,
        // so read on until one does, or the source ends.
        while (!enqueued) {
          const { done, value } = await chunks.next()
          // On node:crypto the records' parts as the cipher returned them (no framed copy, no promise).
          if (done === true) {
            await writer.end(enqueue)
            return controller.close()
          }
          await writer.write(bytesOf(value), enqueue)
        }
      },
      async cancel(reason) {
        await chunks.return?.(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * A browser sends a streamed request body only over HTTP/2 and up (Chromium;
 * others not at all), and fails it over HTTP/1.1: there the records are sealed
 * the same way but gathered into one body before sending. Node, Deno, Bun and
 * workers stream it.
 */
const BUFFERS_UPLOADS = typeof document !== 'undefined'

/**
 * Seals and sends a streamed upload (docs/PROTOCOL.md §12): the envelope
 * (`bsn` in its plaintext) as the header line of an
 * `application/sealwire-stream` body, then the source's records. Never resent:
 * the source was consumed as it was sent, so a refusal is reported as it is —
 * an old server's 415 as `stream_upload_unsupported`, with the fix. Plain v1
 * (no session): a session's refusal would need a resend. Loaded with
 * `import()` on the first streamed upload.
 */
export async function streamedUpload(state: ClientState, call: SealedCall & { stream: UploadSource }, parts: ExchangeParts): Promise<Response> {
  const { takeHead, openHttpResponse, requestNotSent } = parts
  const method = call.method.toUpperCase()
  const callHeaders = new Headers(call.headers)
  for (const name of parts.ownedHeaders) callHeaders.delete(name)
  const { head, url, target } = takeHead(state, call, callHeaders)
  const key = await state.keys.current()
  const sealedAt = state.clock() + state.offsetMs
  const sealed = await sealRequest({ recipient: key, request: { method, target, origin: url.origin }, clock: () => sealedAt, head, streams: true, bodyStream: true })
  const headers = new Headers(callHeaders)
  for (const [name, value] of Object.entries(sealed.headers)) headers.set(name, value)
  const records = recordBody(sealed.httpBody!, sealed.bodyKey!, call.stream)
  const body = BUFFERS_UPLOADS ? await new Response(records).blob() : records
  let res: Response
  try {
    // `error`, not `manual`: with any other mode the Fetch standard sends a clone of the request, whose
    // body is a tee of the stream, and the untouched branch keeps every chunk sent (the whole upload, in
    // Node's fetch). A redirect is never followed either way; here it fails as a network error.
    res = await state.fetch(url.href, { ...call.init, method, headers, body, redirect: BUFFERS_UPLOADS ? 'manual' : 'error', duplex: 'half' } as RequestInit)
  } catch (cause) {
    throw await requestNotSent(cause, url.href)
  }
  const outcome = await openHttpResponse(res, sealed.reply, key.backend, state.maxResponseBytes, { bytes: sealed.envelope.length, placement: sealed.placement })
  if (outcome.ok) return outcome.response
  if (outcome.error.code === 'unsupported_media_type') {
    throw new SealwireError('stream_upload_unsupported', {
      detail: 'The server refused the streamed upload (415): it predates sealed streams, or does not take them. Upgrade @sealwire/server and turn on its streamedUploads option, or send the body buffered (JSON text); the stream was not resent.',
      cause: outcome.error,
    })
  }
  throw outcome.error
}
