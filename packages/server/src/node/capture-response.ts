import { Buffer } from 'node:buffer'
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http'

type Chunk = string | Uint8Array
type Callback = (error?: Error | null) => void

function toBytes(chunk: Chunk, encoding: BufferEncoding | undefined): Uint8Array {
  if (typeof chunk !== 'string') return chunk
  // Buffer for UTF-8 too: TextEncoder allocates a fresh ArrayBuffer per call (see response-body.ts).
  return Buffer.from(chunk, encoding ?? 'utf8')
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

/** In the order they are replaced below (restore() puts them back in reverse); flushHeaders last, as it is not always replaced. */
const OVERRIDDEN = ['writeHead', 'write', 'end', 'flushHeaders'] as const
/** Marks a method that was not an own property of the response (restore puts the prototype's back). */
const NOT_OWN = Symbol('not own')

/** The response's own `write` and `end`, past the capture: what a streamed answer goes out through. */
export interface RawResponse {
  /** Sends the status line and the headers set so far (the capture's own writeHead only records them). */
  writeHead(status: number): void
  write(bytes: Uint8Array): boolean
  end(callback?: () => void): void
}

/** A capture switched to a streamed answer (docs/PROTOCOL.md §12): the handler's writes go to it. */
export interface StreamSwitch {
  write(chunk: Uint8Array, callback: ((error?: Error | null) => void) | undefined): boolean
  end(chunk: Uint8Array | undefined, callback: ((error?: Error | null) => void) | undefined): void
}

/**
 * Holds back everything a handler writes to a Node response — status and
 * headers from `writeHead`, bytes from `write` and `end` — so that it can be
 * sealed as one envelope when the handler ends the response. Every response
 * path of Express (`res.json`, `res.send`, `res.sendStatus`, `res.redirect`,
 * `res.sendFile`, plain `res.end`) and of error handlers goes through these
 * methods, so nothing in plaintext slips past.
 *
 * Nothing reaches the socket until `finish` calls `release()` and writes the
 * sealed response; `res.headersSent` stays false until then, so frameworks
 * keep setting headers normally. With `startStream`, the handler's first
 * write (or `flushHeaders`) before its end may switch the capture to a
 * streamed answer instead, each write then handed to the returned switch.
 */
export function captureResponse(res: ServerResponse, finish: (body: Uint8Array) => Promise<void>, startStream?: (raw: RawResponse) => StreamSwitch | undefined): { release(): void } {
  const chunks: Uint8Array[] = []
  let ended = false

  // What was there before: the prototype's methods, or another middleware's own
  // wrappers (compression mounted before Sealwire), which must come back intact.
  // Usually none is an own property: then nothing is remembered per response.
  const target = res as unknown as Record<string, unknown>
  const own = OVERRIDDEN.some((name) => Object.hasOwn(target, name)) ? OVERRIDDEN.map((name) => (Object.hasOwn(target, name) ? target[name] : NOT_OWN)) : undefined
  // flushHeaders is replaced only where it can start a stream. Node's own sends nothing
  // here: it writes the head through writeHead (the capture's, which only records it) and
  // then an empty chunk. Node gives every response a hidden class of its own, so each
  // property added to one copies its whole descriptor list (~1.7 KB of garbage a request).
  const replaced = startStream === undefined ? OVERRIDDEN.length - 1 : OVERRIDDEN.length
  const restore = () => {
    // The prototype's method is put back as an own property, never deleted: by now the
    // framework has added properties after ours (Express's res.locals, Node's own), and a
    // delete that is not of the last one turns the response into a slow dictionary object
    // for the rest of its life (Node's writes, Express's sends: every property read).
    const proto = Object.getPrototypeOf(res) as Record<string, unknown>
    for (let i = replaced - 1; i >= 0; i--) {
      const value = own === undefined ? NOT_OWN : own[i]
      target[OVERRIDDEN[i]!] = value === NOT_OWN ? proto[OVERRIDDEN[i]!] : value
    }
  }

  // Sealed streams: the handler's first write (or flushHeaders) before its end asks
  // `startStream` once; a requester that reads streams then gets records as written.
  let stream: StreamSwitch | undefined
  const switchToStream = (): StreamSwitch | undefined => {
    if (startStream === undefined) return stream
    const start = startStream
    startStream = undefined
    stream = start(rawResponse(res, own))
    return stream
  }

  res.writeHead = function writeHead(statusCode: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]) {
    if (typeof reason !== 'string') headers = reason
    else res.statusMessage = reason
    res.statusCode = statusCode
    if (Array.isArray(headers)) {
      // Raw form: [name, value, name, value, ...]
      for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1]!)
    } else if (headers !== undefined) {
      for (const name in headers) if (headers[name] !== undefined) res.setHeader(name, headers[name]!)
    }
    return res
  } as ServerResponse['writeHead']

  res.write = function write(chunk: Chunk, encoding?: BufferEncoding | Callback, callback?: Callback) {
    if (typeof encoding === 'function') {
      callback = encoding
      encoding = undefined
    }
    if (ended) return false
    if (chunks.length === 0 && switchToStream() !== undefined) return stream!.write(toBytes(chunk, encoding), callback)
    chunks.push(toBytes(chunk, encoding))
    if (callback !== undefined) queueMicrotask(() => callback!())
    return true
  } as ServerResponse['write']

  res.end = function end(chunk?: Chunk | Callback, encoding?: BufferEncoding | Callback, callback?: Callback) {
    if (typeof chunk === 'function') {
      callback = chunk
      chunk = undefined
    } else if (typeof encoding === 'function') {
      callback = encoding
      encoding = undefined
    }
    if (ended) return res
    ended = true
    if (stream !== undefined) {
      stream.end(chunk === undefined || chunk === null ? undefined : toBytes(chunk, encoding as BufferEncoding | undefined), callback)
      return res
    }
    if (chunk !== undefined && chunk !== null) chunks.push(toBytes(chunk, encoding as BufferEncoding | undefined))
    // The overrides stay until `finish` calls release(): a second res.send() while
    // sealing (a handler bug) is swallowed here instead of writing plaintext.
    void finish(concat(chunks)).then(() => callback?.(), (err: Error) => callback?.(err))
    return res
  } as ServerResponse['end']

  if (startStream !== undefined) {
    res.flushHeaders = function flushHeaders() {
      if (!ended) switchToStream()
    }
  }

  return {
    /**
     * Gives the original methods back; the caller then writes synchronously
     * (the sealed response, or its own answer instead of the handler's).
     */
    release() {
      ended = true
      restore()
    },
  }
}

/** The methods the capture replaced, as they were before it: the prototype's, or another middleware's own. */
function rawResponse(res: ServerResponse, own: unknown[] | undefined): RawResponse {
  const original = (name: (typeof OVERRIDDEN)[number]) => {
    const value = own?.[OVERRIDDEN.indexOf(name)]
    return (value === undefined || value === NOT_OWN ? Reflect.get(Object.getPrototypeOf(res) as object, name) : value) as (...args: unknown[]) => unknown
  }
  const writeHead = original('writeHead')
  const write = original('write')
  const end = original('end')
  return {
    writeHead: (status) => void writeHead.call(res, status),
    write: (bytes) => write.call(res, bytes) as boolean,
    end: (callback) => void end.call(res, callback),
  }
}
