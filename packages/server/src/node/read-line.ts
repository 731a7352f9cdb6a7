import { Buffer } from 'node:buffer'
import { SealwireError } from '@sealwire/core'

type NodeReadable = NodeJS.ReadableStream & { unshift(chunk: Uint8Array): void; readonly readableEnded?: boolean }

const NEWLINE = 0x0a

/**
 * Reads a Node stream up to its first `\n` (a streamed upload's header line,
 * docs/PROTOCOL.md §12) and puts every byte after it back in front of the
 * stream (`unshift`), paused, for the body records. Past `maxBytes` without a
 * `\n`, or at the end without one, it throws `stream_record_too_large` and
 * holds nothing more than `maxBytes` plus one chunk.
 */
export function readNodeLine(stream: NodeReadable, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (stream.readableEnded === true) return reject(noLine())
    const chunks: Buffer[] = []
    let total = 0
    const settle = (then: () => void): void => {
      stream.pause()
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onEnd)
      then()
    }
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
      const at = bytes.indexOf(NEWLINE)
      if (at === -1) {
        total += bytes.byteLength
        if (total > maxBytes) return settle(() => reject(noLine()))
        chunks.push(bytes)
        return
      }
      if (total + at > maxBytes) return settle(() => reject(noLine()))
      chunks.push(bytes.subarray(0, at))
      settle(() => {
        if (at + 1 < bytes.byteLength) stream.unshift(bytes.subarray(at + 1))
        resolve(Buffer.concat(chunks).toString('latin1'))
      })
    }
    const onEnd = (): void => settle(() => reject(noLine()))
    const onError = (err: Error): void => settle(() => reject(err))
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onEnd)
    stream.resume()
  })
}

const noLine = () => new SealwireError('stream_record_too_large', { detail: 'A streamed body starts with its envelope on one line of at most 64 KiB, ended by \\n' })
