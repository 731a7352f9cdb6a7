import type { BodyReader, BodySource } from './types.js'

const encoder = new TextEncoder()
/** For bytes read whole (not streamed): stateless, so one serves every request. */
const wholeDecoder = new TextDecoder()

/**
 * Step 3 while the body streams in: reads it as text, counting bytes, and
 * stops at the first chunk that crosses `maxBytes` (undefined is returned).
 * Nothing past the cap is buffered, so a chunked (length-less) body of any
 * size costs at most `maxBytes` of memory; the caller answers 413 and the
 * platform discards the rest.
 *
 * An envelope is ASCII (base64url and dots): decoding leniently is safe, any
 * stray byte fails core's base64url check as `malformed_envelope`.
 */
export function readLimited(source: BodySource, maxBytes: number): Promise<string | undefined> {
  if (source instanceof Uint8Array) return Promise.resolve(source.byteLength > maxBytes ? undefined : wholeDecoder.decode(source))
  // A reader's text is its own promise, passed on: no async frame of ours per request.
  if (isBodyReader(source)) return source.readUpTo(maxBytes).then((body) => (body === undefined || typeof body === 'string' ? body : limitedText(body, maxBytes)))
  return readChunks(source, maxBytes)
}

/** The reader counted bytes under the cap; bytes are counted again here all the same. */
const limitedText = (body: Uint8Array, maxBytes: number): string | undefined => (body.byteLength > maxBytes ? undefined : wholeDecoder.decode(body))

async function readChunks(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<string | undefined> {
  // The chunks are kept as they come and decoded once at the end: an envelope usually comes
  // in one chunk, decoded then by the shared decoder, with no decoder of its own per request
  // nor a streaming decode per chunk (a third of this read's time on Node 20). Kept bytes
  // are bounded by the cap as the text was.
  let total = 0
  let first: Uint8Array | undefined
  let more: Uint8Array[] | undefined
  const take = (chunk: Uint8Array | string): boolean => {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
    total += bytes.byteLength
    if (total > maxBytes) return false
    if (first === undefined) first = bytes
    else (more ??= [first]).push(bytes)
    return true
  }
  if (isReadableStream(source)) {
    const reader = source.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!take(value)) {
        // Tells the platform we will not read further (it may stop receiving).
        void reader.cancel().catch(() => {})
        return undefined
      }
    }
  } else {
    const iterator = source[Symbol.asyncIterator]()
    for (;;) {
      const { done, value } = await iterator.next()
      if (done === true) break
      if (!take(value)) {
        await iterator.return?.()
        return undefined
      }
    }
  }
  if (more === undefined) return first === undefined ? '' : wholeDecoder.decode(first)
  // A character split across chunks decodes whole: the decoder carries it over.
  const decoder = new TextDecoder()
  let text = ''
  for (const bytes of more) text += decoder.decode(bytes, { stream: true })
  return text + decoder.decode()
}

function isBodyReader(source: BodySource): source is BodyReader {
  return typeof (source as BodyReader).readUpTo === 'function'
}

function isReadableStream(source: BodySource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === 'function'
}
