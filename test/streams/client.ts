// A client for the tests built from core alone: it seals with `streams` / `bodyStream`, reads a
// streamed answer over node:http record by record (noting when each plaintext arrived), and sends
// uploads whose records it may cut, reorder or duplicate on purpose.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { randomBytes } from 'node:crypto'
import { deriveStreamKey, isSealwireError, openResponse, sealRequest, type RecipientKey, type SealedRequest } from '@sealwire/core'
import { createRecordReader, createRecordWriter } from '@sealwire/core/stream'

export interface StreamedAnswer {
  status: number
  headers: IncomingMessage['headers']
  /** `stream` for application/sealwire-stream, `jose` for one envelope. */
  kind: 'stream' | 'jose' | 'other'
  /** Plaintext chunks, each with the milliseconds from the request to its arrival. */
  chunks: Array<{ at: number; text: string }>
  /** The v1 answer's plaintext, for `jose`. */
  whole?: string
  /** The reader's verdict when the stream did not end cleanly after its final record. */
  error?: string
  /** The problem code of a plain or sealed problem. */
  code?: string
  /** A plain problem's detail. */
  detail?: string
}

const decoder = new TextDecoder()

function send(url: string, method: string, headers: Record<string, string>, body: Uint8Array[] | undefined): Promise<{ res: IncomingMessage; started: number }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => resolve({ res, started }))
    req.on('error', reject)
    for (const chunk of body ?? []) req.write(chunk)
    req.end()
  })
}

/** Reads a response to `sealed`: a stream record by record, or one envelope. */
export async function readAnswer(res: IncomingMessage, sealed: SealedRequest, started: number): Promise<StreamedAnswer> {
  const answer: StreamedAnswer = { status: res.statusCode!, headers: res.headers, kind: 'other', chunks: [] }
  const type = res.headers['content-type'] ?? ''
  if (type === 'application/sealwire-stream') {
    answer.kind = 'stream'
    let head: Buffer | undefined = Buffer.alloc(0)
    let reader: ReturnType<typeof createRecordReader> | undefined
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        let bytes: Buffer = chunk
        if (reader === undefined) {
          head = Buffer.concat([head!, bytes])
          const at = head.indexOf(0x0a)
          if (at === -1) continue
          const opened = await openResponse(head.subarray(0, at).toString('latin1'), { reply: sealed.reply, status: answer.status, stream: true })
          reader = createRecordReader(opened.key)
          bytes = head.subarray(at + 1)
        }
        for (const plaintext of await reader.push(bytes)) answer.chunks.push({ at: performance.now() - started, text: decoder.decode(plaintext) })
      }
      if (reader === undefined) throw Object.assign(new Error('no header line'), { code: 'stream_truncated' })
      reader.end()
    } catch (err) {
      // A connection cut under the reader is a truncation as much as a clean early end.
      answer.error = isSealwireError(err) ? err.code : 'stream_truncated'
    }
    return answer
  }
  const chunks: Buffer[] = []
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk)
  const text = Buffer.concat(chunks).toString('latin1')
  if (type === 'application/jose') {
    answer.kind = 'jose'
    const opened = await openResponse(text.trim(), { reply: sealed.reply, status: answer.status })
    answer.whole = decoder.decode(opened.body)
    if (opened.contentType === 'application/problem+json') answer.code = (JSON.parse(answer.whole) as { code: string }).code
  } else if (type.startsWith('application/problem+json')) {
    const problem = JSON.parse(text) as { code: string; detail?: string }
    answer.code = problem.code
    if (problem.detail !== undefined) answer.detail = problem.detail
  }
  return answer
}

/** GET `target`, announcing sealed streams unless `streams` is false. */
export async function getSealed(base: string, recipient: RecipientKey, target: string, streams = true): Promise<StreamedAnswer> {
  const sealed = await sealRequest({ recipient, request: { method: 'GET', target }, streams })
  const { res, started } = await send(base + target, 'GET', sealed.headers, undefined)
  return readAnswer(res, sealed, started)
}

/** GET `target` announcing streams, and hand back the raw response unread (for backpressure). */
export async function getRaw(base: string, recipient: RecipientKey, target: string): Promise<IncomingMessage> {
  const sealed = await sealRequest({ recipient, request: { method: 'GET', target }, streams: true })
  return (await send(base + target, 'GET', sealed.headers, undefined)).res
}

export interface Upload {
  sealed: SealedRequest
  /** The records' salt (`bsn`), when the upload was sealed by hand. */
  salt?: Uint8Array
  /** The envelope line then the records, each its own Uint8Array (the last is the final record). */
  parts: Uint8Array[]
}

/** Seals `chunks` as a streamed upload to POST `target`: one record per chunk, then an empty final one. */
export async function sealUpload(recipient: RecipientKey, target: string, chunks: Uint8Array[]): Promise<Upload> {
  const sealed = await sealRequest({ recipient, request: { method: 'POST', target }, bodyStream: true, streams: true })
  const writer = createRecordWriter(sealed.bodyKey!)
  const parts: Uint8Array[] = [new TextEncoder().encode(sealed.httpBody!)]
  for (const chunk of chunks) parts.push(await writer.seal(chunk))
  parts.push(await writer.finish())
  return { sealed, parts }
}

/**
 * Seals a streamed upload for a method `sealRequest` refuses to give one (GET, HEAD): by hand, as an
 * attacker holding the public key would, from the recipient's own sealing backend.
 */
export async function sealUploadAs(recipient: RecipientKey, method: string, target: string, chunks: Uint8Array[]): Promise<Upload> {
  const r = recipient as unknown as { kid: string; handle: unknown; backend: { sealToPublicKey(plaintext: Uint8Array, header: object, handle: unknown): Promise<string> } }
  const rk = randomBytes(32)
  const salt = randomBytes(16)
  const jti = randomBytes(16).toString('base64url')
  const header = { alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: r.kid, iat: Math.floor(Date.now() / 1000), jti, htm: method, htu: target, str: 1 }
  const plaintext = new TextEncoder().encode(JSON.stringify({ rk: rk.toString('base64url'), body: null, bsn: salt.toString('base64url') }))
  const envelope = await r.backend.sealToPublicKey(plaintext, header, r.handle)
  const writer = createRecordWriter(await deriveStreamKey(new Uint8Array(rk), new Uint8Array(salt), jti, 'request'))
  const parts: Uint8Array[] = [new TextEncoder().encode(envelope + '\n')]
  for (const chunk of chunks) parts.push(await writer.seal(chunk))
  parts.push(await writer.finish())
  // Chunked, said outright: Node frames a GET's body only when told to.
  const sealed = { headers: { 'content-type': 'application/sealwire-stream', 'transfer-encoding': 'chunked' }, reply: { jti, rk: new Uint8Array(rk) } } as unknown as SealedRequest
  return { sealed, parts, salt: new Uint8Array(salt) }
}

/** Sends an upload's parts (as given: tampered or not), chunked; or `whole`, in one piece with its Content-Length (as browsers send it). */
export async function sendUpload(base: string, target: string, upload: Upload, parts = upload.parts, whole = false, method = 'POST'): Promise<StreamedAnswer> {
  const body = whole ? [Buffer.concat(parts)] : parts
  const headers = whole ? { ...upload.sealed.headers, 'content-length': String(body[0]!.byteLength) } : upload.sealed.headers
  const { res, started } = await send(base + target, method, headers, body)
  return readAnswer(res, upload.sealed, started)
}

/**
 * Sends `mib` MiB of upload to POST `target`, sealed record by record as it is written, pacing itself by the
 * socket (nothing is held beyond a record); resolves the answer and the largest RSS seen while it ran.
 */
export async function sendLargeUpload(base: string, recipient: RecipientKey, target: string, mib: number): Promise<{ answer: StreamedAnswer; peakRss: number }> {
  const sealed = await sealRequest({ recipient, request: { method: 'POST', target }, bodyStream: true, streams: true })
  const writer = createRecordWriter(sealed.bodyKey!)
  let peakRss = process.memoryUsage().rss
  const started = performance.now()
  const req = httpRequest(base + target, { method: 'POST', headers: sealed.headers, agent: false })
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve)
    req.on('error', reject)
  })
  const chunk = new Uint8Array(64 * 1024).fill(0x5a)
  req.write(sealed.httpBody!)
  for (let i = 0; i < mib * 16; i++) {
    if (!req.write(await writer.seal(chunk))) await new Promise((resolve) => req.once('drain', resolve))
    if (i % 64 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  req.end(await writer.finish())
  const answer = await readAnswer(await response, sealed, started)
  return { answer, peakRss: Math.max(peakRss, process.memoryUsage().rss) }
}
