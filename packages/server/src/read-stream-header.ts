import { JOSE_MEDIA_TYPE, MAX_STREAM_HEADER_LINE, STREAM_MEDIA_TYPE, SealwireError } from '@sealwire/core'
import { StreamHeaderLine, headerLineUnended } from './stream-header-line.js'
import type { BodyReader, BodySource } from './types.js'

const PLATFORM_BUFFERS =
  `This platform hands the server a request body already buffered, so a streamed upload (${STREAM_MEDIA_TYPE}) is not accepted here: ` +
  'send the body inside the envelope (application/jose)'

/**
 * Step 3 of a streamed upload (docs/PROTOCOL.md §12): the envelope is the
 * body's first line, read under `MAX_STREAM_HEADER_LINE` before anything
 * larger is allocated. From a web stream the records after it come back as a
 * stream of their own; a Node request keeps them unread (see `BodyReader.readLine`).
 */
export async function readStreamHeader(source: BodySource | null): Promise<{ envelope: string; records?: ReadableStream<Uint8Array> }> {
  if (source !== null && typeof (source as ReadableStream<Uint8Array>).getReader === 'function') return splitWebBody(source as ReadableStream<Uint8Array>)
  const reader = source as BodyReader | null
  if (reader === null || typeof reader.readLine !== 'function') throw new SealwireError('unsupported_media_type', { detail: PLATFORM_BUFFERS })
  // As sent: every adapter reads the same line (a CR or a space fails to open, as on the web path).
  return { envelope: await reader.readLine(MAX_STREAM_HEADER_LINE) }
}

/**
 * A web body split after its envelope line; the records stream pulls from the
 * body only as it is read (backpressure), and cancelling it cancels the body.
 */
async function splitWebBody(body: ReadableStream<Uint8Array>): Promise<{ envelope: string; records: ReadableStream<Uint8Array> }> {
  const reader = body.getReader()
  const line = new StreamHeaderLine()
  let first: Uint8Array | undefined
  try {
    while (first === undefined) {
      const { done, value } = await reader.read()
      if (done) throw headerLineUnended()
      first = line.push(value)
    }
  } catch (error) {
    reader.cancel().catch(() => {})
    throw error
  }
  const rest = first
  // The bytes after the line first, then the body as it is read: nothing is pulled ahead.
  const records = new ReadableStream<Uint8Array>(
    {
      start: (controller) => void (rest.byteLength > 0 && controller.enqueue(rest)),
      pull: (controller) => reader.read().then((read) => (read.done ? controller.close() : controller.enqueue(read.value))),
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
  return { envelope: line.text(), records }
}

/**
 * The refusal of a streamed upload to a route with a schema: a schema checks
 * the JSON body inside an envelope, and a streamed upload has none (its body
 * is the records). Passing `body: null` to the schema instead would let a
 * nullable schema wave through a body it never saw.
 */
export function streamedUploadWithSchema(): SealwireError {
  return new SealwireError('unsupported_media_type', {
    detail: `This route checks a JSON body against its schema, and a streamed upload (${STREAM_MEDIA_TYPE}) has none: send the body inside the envelope (${JOSE_MEDIA_TYPE}), or take the upload on a route without a schema`,
  })
}

/**
 * The refusal of a request whose media type and plaintext disagree: a body
 * stream salt (`bsn`) in an `application/jose` body, or a streamed body
 * without one. The media type travels in clear, the salt sealed: one of them
 * was changed on the way, or the client is broken.
 */
export function streamPlacementMismatch(hasSalt: boolean): SealwireError {
  return new SealwireError('malformed_envelope', {
    detail: hasSalt
      ? `The envelope announces a streamed body (bsn): send it as ${STREAM_MEDIA_TYPE}, its records after the envelope line`
      : `A ${STREAM_MEDIA_TYPE} body needs an envelope that announces it (bsn): seal the request as a streamed upload`,
  })
}

/** The refusal of a streamed upload whose plaintext ran over `streamedUploads.maxBytes`. */
export function uploadTooLarge(maxBytes: number): SealwireError {
  return new SealwireError('payload_too_large', { detail: `A streamed upload may hold at most ${maxBytes} bytes here: send less, or raise the server option streamedUploads.maxBytes` })
}
