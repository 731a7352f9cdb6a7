/**
 * Sealed streams (docs/PROTOCOL.md §12) on every adapter, over real HTTP on loopback: streamed
 * answers record by record for a requester that announced `str`, v1 for one-shot answers and for
 * requesters that did not, a failing handler's stream cut without its final record, backpressure
 * from a slow reader, and streamed uploads: checked before the handler, refused when cut,
 * reordered or duplicated, off unless the server turns them on, capped, refused on a route with a
 * schema and on a GET, their envelope line read strictly and refused plain.
 */
import { createCipheriv, createHash, hkdfSync } from 'node:crypto'
import { request } from 'node:http'
import { PRE_DECRYPTION_CODES, type SealwireErrorCode } from '@sealwire/core'
import { createSealwireServer, type SealwireEvent } from '@sealwire/server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { lambdaHarness } from '../server/harness/lambda.js'
import type { RunningApp } from '../server/harness/spec.js'
import { testKeys, type TestKeys } from '../server/helpers/sealing.js'
import { expressApp, fastifyApp, fetchApp, koaApp, type StreamApp } from './apps.js'
import { getRaw, getSealed, sealUpload, sealUploadAs, sendLargeUpload, sendUpload, type Upload } from './client.js'

/** A streamed upload's envelope line, sealed by hand, and its raw record key (HKDF of §12.3) to seal records by hand too. */
async function emptyRecordsUpload(recipient: TestKeys['recipients']['X25519'], target: string): Promise<{ sealed: Upload; key: Buffer }> {
  const sealed = await sealUploadAs(recipient, 'POST', target, [])
  const info = Buffer.from(`sealwire-stream-v1\u0000request\u0000${sealed.sealed.reply.jti}`)
  return { sealed, key: Buffer.from(hkdfSync('sha256', sealed.sealed.reply.rk, sealed.salt!, info, 32)) }
}

/** One framed record (§12.4): u32 length, AES-256-GCM under the nonce counter ‖ final flag. */
function record(key: Buffer, index: number, plaintext: Uint8Array, final: boolean): Uint8Array {
  const nonce = Buffer.alloc(12)
  nonce.writeUIntBE(index, 5, 6)
  nonce[11] = final ? 1 : 0
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  return Buffer.concat([length, body])
}

const adapters = [
  { name: 'express', makeApp: expressApp },
  { name: 'koa', makeApp: koaApp },
  { name: 'fastify', makeApp: fastifyApp },
  { name: 'fetch (Hono)', makeApp: fetchApp },
]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const eventsOf = (text: string) => [...text.matchAll(/data: (\{.*?\})\n\n/g)].map((m) => JSON.parse(m[1]!) as { i: number })

describe.each(adapters)('sealed streams: $name', ({ makeApp }) => {
  let keys: TestKeys
  let app: StreamApp
  const events: SealwireEvent[] = []
  beforeAll(async () => {
    keys = await testKeys()
    const server = createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true, streamedUploads: true, onEvent: (e) => events.push(e) })
    app = await makeApp(server)
  })
  afterAll(async () => {
    await app?.close()
  })
  const get = (target: string, streams = true) => getSealed(app.url, keys.recipients.X25519, target, streams)

  it('an SSE answer arrives record by record: the first event long before the end', async () => {
    const answer = await get('/events?n=5&interval=100')
    expect(answer.status).toBe(200)
    expect(answer.kind).toBe('stream')
    expect(answer.headers['cache-control']).toBe('no-store, no-transform')
    expect(answer.headers['x-accel-buffering']).toBe('no')
    expect(answer.headers['content-length']).toBeUndefined()
    expect(answer.error).toBeUndefined()
    expect(eventsOf(answer.chunks.map((c) => c.text).join(''))).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })))
    // One record per event, each as it was written: ~100 ms apart, the first ~300 ms before the last.
    expect(answer.chunks.length).toBeGreaterThanOrEqual(5)
    expect(answer.chunks.at(-1)!.at - answer.chunks[0]!.at).toBeGreaterThan(250)
  })

  it('a one-shot answer stays one v1 envelope for a requester that reads streams', async () => {
    const answer = await get('/once')
    expect(answer).toMatchObject({ status: 200, kind: 'jose' })
    expect(JSON.parse(answer.whole!)).toEqual({ ok: true })
  })

  it('a requester without str gets one v1 envelope even from a streaming handler', async () => {
    const answer = await get('/events?n=3&interval=10', false)
    expect(answer).toMatchObject({ status: 200, kind: 'jose' })
    expect(eventsOf(answer.whole!)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }])
  })

  it('a handler failing mid-stream ends it without the final record: stream_truncated, never a clean end', async () => {
    events.length = 0
    // Watched, not replaced: what the server writes to the console still goes there.
    const logged = vi.spyOn(console, 'error')
    const answer = await get('/fail').finally(() => sleep(50))
    // As for a handler that fails before answering: its error (application data) is not logged by Sealwire.
    expect(JSON.stringify(logged.mock.calls.map((call) => call.map(String)))).not.toContain('the model went away')
    logged.mockRestore()
    expect(answer.kind).toBe('stream')
    expect(eventsOf(answer.chunks.map((c) => c.text).join(''))).toEqual([{ i: 0 }])
    expect(answer.error).toBe('stream_truncated')
    expect(JSON.stringify(answer)).not.toContain('the model went away')
    await sleep(50)
    expect(events.at(-1)).toMatchObject({ type: 'rejected', code: 'internal_error' })
  })

  it('a slow reader holds the handler back: a 256 MiB download does not grow in the server', async () => {
    const res = await getRaw(app.url, keys.recipients.X25519, '/big?mb=256')
    res.pause()
    const before = app.probe.produced
    await sleep(700)
    // The socket's buffers and a record or two: a few MiB, not the 256 MiB the source holds.
    expect(app.probe.produced - before).toBeLessThan(32 * 1024 * 1024)
    expect(res.headers['content-type']).toBe('application/sealwire-stream')
    res.destroy()
  })

  it('a streamed upload is opened record by record: the handler reads the whole plaintext', async () => {
    app.probe.upload.length = 0
    const chunks = [new Uint8Array(100_000).fill(1), new Uint8Array(3).fill(2), new Uint8Array(70_000).fill(3)]
    const answer = await sendUpload(app.url, '/upload', await sealUpload(keys.recipients.X25519, '/upload', chunks))
    const hash = createHash('sha256')
    for (const c of chunks) hash.update(c)
    expect(answer).toMatchObject({ status: 200, kind: 'jose' })
    expect(JSON.parse(answer.whole!)).toEqual({ bytes: 170_003, sha256: hash.digest('hex') })
    expect(app.probe.upload).toEqual(['ran', 'end'])
  })

  it('a streamed upload sent whole with its Content-Length (as a browser buffers it) is opened the same way', async () => {
    app.probe.upload.length = 0
    const upload = await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(5000).fill(4), new Uint8Array(5).fill(5)])
    const answer = await sendUpload(app.url, '/upload', upload, upload.parts, true)
    expect(answer).toMatchObject({ status: 200, kind: 'jose' })
    expect(JSON.parse(answer.whole!)).toMatchObject({ bytes: 5005 })
    expect(app.probe.upload).toEqual(['ran', 'end'])
  })

  it('a 128 MiB upload runs in constant memory: the handler reads it as it comes', async () => {
    app.probe.upload.length = 0
    const before = process.memoryUsage().rss
    const { answer, peakRss } = await sendLargeUpload(app.url, keys.recipients.X25519, '/upload', 128)
    expect(answer).toMatchObject({ status: 200, kind: 'jose' })
    expect(JSON.parse(answer.whole!)).toMatchObject({ bytes: 128 * 1024 * 1024 })
    // Client and server in this one process: a record or two each, and the sockets' buffers.
    expect(peakRss - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('a replayed upload is refused before the handler runs', async () => {
    const upload = await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(10)])
    expect((await sendUpload(app.url, '/upload', upload)).status).toBe(200)
    app.probe.upload.length = 0
    const replayed = await sendUpload(app.url, '/upload', upload)
    expect(replayed).toMatchObject({ status: 409, code: 'replayed_request' })
    expect(app.probe.upload).toEqual([])
  })

  it.each([
    ['cut before its final record', (p: Uint8Array[]) => p.slice(0, -1), 'stream_truncated'],
    ['reordered', (p: Uint8Array[]) => [p[0]!, p[2]!, p[1]!, ...p.slice(3)], 'stream_record_invalid'],
    ['with a record duplicated', (p: Uint8Array[]) => [p[0]!, p[1]!, p[1]!, ...p.slice(2)], 'stream_record_invalid'],
    ['with bytes after its final record', (p: Uint8Array[]) => [...p, new Uint8Array([0, 0, 0, 16])], 'stream_trailing_data'],
  ])('an upload %s: a sealed 400 with its code, and the handler saw an error, not an end', async (_name, tamper, code) => {
    app.probe.upload.length = 0
    const upload = await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(1000).fill(7), new Uint8Array(1000).fill(8), new Uint8Array(1000).fill(9)])
    const answer = await sendUpload(app.url, '/upload', upload, tamper(upload.parts))
    expect(answer).toMatchObject({ status: 400, kind: 'jose', code })
    expect(app.probe.upload).toEqual(['ran', `error:${code}`])
  })

  it('a route with a schema refuses a streamed upload, sealed, before its handler: a schema checks a JSON body, a stream is none', async () => {
    app.probe.upload.length = 0
    const upload = await sealUpload(keys.recipients.X25519, '/typed', [new TextEncoder().encode(JSON.stringify({ amount: 1e9 }))])
    const answer = await sendUpload(app.url, '/typed', upload)
    expect(answer).toMatchObject({ status: 415, kind: 'jose', code: 'unsupported_media_type' })
    expect(app.probe.upload).toEqual([])
  })

  it('a streamed body on a GET is refused as on every adapter: a plain 415, the handler never runs', async () => {
    const upload = await sealUploadAs(keys.recipients.X25519, 'GET', '/once', [new TextEncoder().encode('hello')])
    const answer = await sendUpload(app.url, '/once', upload, upload.parts, false, 'GET')
    expect(answer).toMatchObject({ status: 415, kind: 'other', code: 'unsupported_media_type' })
    expect(answer.detail).toMatch(/GET request carries no body/)
  })

  const line = (upload: Upload) => Buffer.from(upload.parts[0]!).toString('latin1').replace(/\n$/, '')
  it.each([
    ['ended by CRLF', (u: Upload) => [Buffer.from(line(u) + '\r\n'), ...u.parts.slice(1)]],
    ['with a leading space', (u: Upload) => [Buffer.from(' ' + line(u) + '\n'), ...u.parts.slice(1)]],
  ])('an envelope line %s is refused as the fetch adapter does: read as sent, never trimmed', async (_name, tamper) => {
    app.probe.upload.length = 0
    const upload = await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(10)])
    const answer = await sendUpload(app.url, '/upload', upload, tamper(upload))
    expect(answer).toMatchObject({ status: 400, kind: 'other', code: 'malformed_envelope' })
    expect(app.probe.upload).toEqual([])
  })

  it.each([
    ['a body that ends before the LF', (u: Upload) => [Buffer.from(line(u))], 400, 'malformed_envelope'],
    ['an empty chunked body', () => [], 400, 'malformed_envelope'],
    ['a line over 64 KiB', () => [Buffer.alloc(70 * 1024, 0x61), Buffer.from('\n')], 413, 'payload_too_large'],
  ])('%s is a plain refusal before decryption, with a code the client reads as one', async (_name, tamper, status, code) => {
    const upload = await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(10)])
    // Chunked even when empty: a Content-Length of 0 would be a request without a body, refused as one.
    upload.sealed.headers['transfer-encoding'] = 'chunked'
    const answer = await sendUpload(app.url, '/upload', upload, tamper(upload))
    expect(answer).toMatchObject({ status, kind: 'other', code })
    expect(PRE_DECRYPTION_CODES.has(code as SealwireErrorCode)).toBe(true)
  })

  describe('as the server allows them', () => {
    let off: StreamApp
    let capped: StreamApp
    beforeAll(async () => {
      off = await makeApp(createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true }))
      capped = await makeApp(createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true, streamedUploads: { maxBytes: 4096 } }))
    })
    afterAll(async () => {
      await off?.close()
      await capped?.close()
    })

    it('off by default: a plain 415 before anything runs, as a server that predates streams answers, naming the option', async () => {
      const answer = await sendUpload(off.url, '/upload', await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(10)]))
      expect(answer).toMatchObject({ status: 415, kind: 'other', code: 'unsupported_media_type' })
      expect(answer.detail).toMatch(/streamedUploads/)
      expect(off.probe.upload).toEqual([])
    })

    it('past maxBytes of plaintext the body errors with payload_too_large: a sealed 413; up to it, it passes', async () => {
      const exact = await sendUpload(capped.url, '/upload', await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(4000), new Uint8Array(96)]))
      expect(exact).toMatchObject({ status: 200, kind: 'jose' })
      capped.probe.upload.length = 0
      const over = await sendUpload(capped.url, '/upload', await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(4000), new Uint8Array(97), new Uint8Array(100_000)]))
      expect(over).toMatchObject({ status: 413, kind: 'jose', code: 'payload_too_large' })
      expect(capped.probe.upload).toEqual(['ran', 'error:payload_too_large'])
    })

    it('an empty middle record is refused: a sender cannot hold a handler with records that carry nothing', async () => {
      capped.probe.upload.length = 0
      // Sealed by hand, as a sender that wants to would: the writer never makes an empty non-final record.
      const { sealed, key } = await emptyRecordsUpload(keys.recipients.X25519, '/upload')
      const empties = Array.from({ length: 5000 }, (_, i) => record(key, i, new Uint8Array(0), false))
      const parts = [sealed.parts[0]!, ...empties, record(key, empties.length, new Uint8Array(0), true)]
      const empty = await sendUpload(capped.url, '/upload', sealed, parts)
      expect(empty).toMatchObject({ status: 400, kind: 'jose', code: 'stream_record_invalid' })
      expect(capped.probe.upload).toEqual(['ran', 'error:stream_record_invalid'])
    })

    it('an upload answered before its records were read closes its connection: the unread rest never stalls the next request', async () => {
      const upload = await sealUpload(keys.recipients.X25519, '/typed', [new Uint8Array(200_000)])
      const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const url = new URL('/typed', capped.url)
        const req = request(url, { method: 'POST', headers: { ...upload.sealed.headers, 'content-length': upload.parts.reduce((n, p) => n + p.byteLength, 0) } }, resolve)
        req.on('error', reject)
        for (const part of upload.parts) req.write(part)
        req.end()
      })
      res.resume()
      expect(res.statusCode).toBe(415)
      // HTTP/1.1 hosts close; the fetch adapter's host reads the rest on its own.
      if (!capped.name.startsWith('fetch')) expect(res.headers.connection ?? '').toMatch(/close/i)
    })
  })
})

describe('sealed streams behind a buffering platform: Lambda', () => {
  let keys: TestKeys
  let app: RunningApp
  beforeAll(async () => {
    keys = await testKeys()
    // Turned on: the platform, not the option, is what refuses them here.
    app = await lambdaHarness.start(createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true, streamedUploads: true }))
  })
  afterAll(async () => {
    await app?.close()
  })

  it('a requester that reads streams gets one v1 envelope: API Gateway buffers the answer', async () => {
    const answer = await getSealed(app.plainUrl, keys.recipients.X25519, '/items')
    expect(answer).toMatchObject({ status: 200, kind: 'jose' })
  })

  it('a streamed upload is refused as a server without streams does: a plain 415 before anything runs', async () => {
    const answer = await sendUpload(app.plainUrl, '/echo', await sealUpload(keys.recipients.X25519, '/echo', [new Uint8Array(10)]))
    expect(answer).toMatchObject({ status: 415, kind: 'other', code: 'unsupported_media_type' })
    // Naming the fix: this platform cannot take a stream, the body goes inside the envelope.
    expect(answer.detail).toMatch(/buffered.*send the body inside the envelope \(application\/jose\)/)
  })
})
