import { once } from 'node:events'
import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { SealedStream } from '../exchange.js'
import type { OutgoingResponse } from '../types.js'
import type { RawResponse, StreamSwitch } from './capture-response.js'

type Callback = (error?: Error | null) => void

export interface StreamSinkHooks {
  /** Response fields never sent beside a sealed answer (`server.droppedResponseHeaders`). */
  dropped: readonly string[]
  /** Whether what the handler ended with is a failure (a framework's error page): then no final record. */
  failed(): boolean
  /** The one-shot answer to send instead, when the stream could not start (sealing refused it). */
  fallback(outgoing: OutgoingResponse): void
}

/**
 * The writes of a Node handler as a streamed answer (docs/PROTOCOL.md §12):
 * the status, the stream's headers (the handler's fields that may stay in
 * clear beside them) and the header line go out first, then each chunk the
 * handler writes as its own record at once, and `end` writes the final one.
 *
 * Backpressure: `write` returns false while records are being sealed or the
 * socket is full, and `drain` is emitted once both caught up, so `pipe` and
 * `await once(res, 'drain')` pace the handler by the socket, as without
 * Sealwire: memory stays bounded by a record and the socket's buffer.
 *
 * A handler that fails after the stream started (a framework's error page at
 * the end, the connection closed under it, sealing failing) ends it without
 * the final record: the requester sees a cut stream, never a clean end.
 */
export function streamSink(res: ServerResponse, raw: RawResponse, start: Promise<SealedStream | OutgoingResponse>, hooks: StreamSinkHooks): StreamSwitch {
  let sealed: SealedStream | undefined
  // The response ended (or its connection closed): nothing more goes out.
  let finished = false
  let final = false
  let pending = 0
  let waiting = false
  const highWaterMark = res.writableHighWaterMark
  const out = (record: Uint8Array): Promise<unknown> | undefined => (raw.write(record) || res.destroyed ? undefined : once(res, 'drain').catch(() => undefined))
  // Nothing is logged for a failure here (sealing failed), as for a one-shot answer whose sealing
  // failed: the error may hold application data. `abort` emits the `rejected` event that says it.
  const cut = (): void => {
    if (finished) return
    finished = true
    sealed?.abort()
    raw.end()
  }
  // A connection closed before the final record (the client left, a framework destroyed the socket).
  res.once('close', () => {
    finished = true
    if (!final) sealed?.abort()
  })
  const ready = start.then(
    (answer) => {
      if (!('write' in answer)) {
        finished = true
        return hooks.fallback(answer)
      }
      sealed = answer
      for (const name of hooks.dropped) res.removeHeader(name)
      for (const name of answer.sealedHeaders ?? []) res.removeHeader(name)
      for (const name in answer.headers) res.setHeader(name, answer.headers[name]!)
      // Records go out as they come, so HTTP/1.1 frames them chunked: removing the handler's
      // Transfer-Encoding above would otherwise leave Node to frame by closing the connection.
      if (res.req.httpVersion === '1.1') res.setHeader('transfer-encoding', 'chunked')
      res.statusMessage = STATUS_CODES[answer.status] ?? ''
      raw.writeHead(answer.status)
      return out(answer.line)
    },
    () => cut(),
  )
  return {
    write(chunk, callback) {
      if (finished) return false
      pending += chunk.byteLength
      void ready
        .then(() => sealed?.write(chunk, out))
        .then(() => {
          pending -= chunk.byteLength
          callback?.()
          if (waiting && pending === 0) {
            waiting = false
            res.emit('drain')
          }
        }, () => cut())
      if (pending < highWaterMark) return true
      waiting = true
      return false
    },
    end(chunk, callback) {
      if (chunk !== undefined) this.write(chunk, undefined)
      void ready
        .then(() => sealed?.drained())
        .then(async () => {
          if (finished || sealed === undefined) return
          if (hooks.failed()) return cut()
          await sealed.finish(out)
          final = true
          finished = true
          raw.end(() => (callback as Callback | undefined)?.())
        })
        .catch(() => cut())
    },
  }
}
