import type { Buffer } from 'node:buffer'
import { StreamHeaderLine, headerLineUnended } from '../stream-header-line.js'

type NodeReadable = NodeJS.ReadableStream & { unshift(chunk: Uint8Array): void; readonly readableEnded?: boolean }

/**
 * Reads a Node stream up to its first `\n` (a streamed upload's header line,
 * docs/PROTOCOL.md §12) and puts every byte after it back in front of the
 * stream (`unshift`), paused, for the body records. The line is gathered by
 * `StreamHeaderLine` under `maxBytes` (its codes: `payload_too_large` past it,
 * `malformed_envelope` at the end without a `\n`).
 */
export function readNodeLine(stream: NodeReadable, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (stream.readableEnded === true) return reject(headerLineUnended())
    const line = new StreamHeaderLine(maxBytes)
    const settle = (then: () => void): void => {
      stream.pause()
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onEnd)
      then()
    }
    const onData = (chunk: Buffer | string): void => {
      let rest: Uint8Array | undefined
      try {
        rest = line.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)
      } catch (err) {
        return settle(() => reject(err))
      }
      if (rest === undefined) return
      settle(() => {
        if (rest.byteLength > 0) stream.unshift(rest)
        resolve(line.text())
      })
    }
    const onEnd = (): void => settle(() => reject(headerLineUnended()))
    const onError = (err: Error): void => settle(() => reject(err))
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onEnd)
    stream.resume()
  })
}
