import { Buffer } from 'node:buffer'
import { Readable } from 'node:stream'
import type { SealedStream } from '../exchange.js'

/**
 * A handler's stream body (Koa's `ctx.body = stream`, Fastify's
 * `reply.send(stream)`) as the body of a streamed answer (docs/PROTOCOL.md
 * §12): the header line, then each chunk the handler's stream yields sealed as
 * its own record, the moment it comes, then the final record. Pull-driven: the
 * handler's stream is read only as fast as the socket takes the records, so
 * memory stays bounded by a record.
 *
 * When the handler's stream errors, the answer ends without the final record
 * (the requester sees a cut stream, never a clean end) and `onError` hears why.
 */
export function sealedReadable(sealed: SealedStream, source: AsyncIterable<Uint8Array | string>, onError: (error: unknown) => void): Readable {
  async function* records(): AsyncGenerator<Uint8Array> {
    const ready: Uint8Array[] = []
    const take = (record: Uint8Array): void => void ready.push(record)
    let finished = false
    try {
      yield sealed.line
      for await (const chunk of source) {
        // Text is encoded; anything else that is not bytes makes write reject, and the answer ends cut.
        await sealed.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk, take)
        while (ready.length > 0) yield ready.shift()!
      }
      await sealed.finish(take)
      finished = true
      yield* ready
    } catch (err) {
      onError(err)
    } finally {
      // Cut short: the handler's stream failed, or the consumer went away before the end.
      if (!finished) sealed.abort()
    }
  }
  return Readable.from(records(), { objectMode: false })
}
