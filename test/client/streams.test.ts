/**
 * The client on sealed streams (docs/PROTOCOL.md §12), end to end over real
 * HTTP on loopback against @sealwire/server's Express adapter: SSE through
 * `client.events` (record by record, reconnection with Last-Event-ID),
 * streamed downloads and uploads of 1 GiB in bounded memory, an old server's
 * 415 to an upload, and a proxy that truncates, reorders, duplicates and
 * splices records — each refused with its code.
 */
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { KeyRing, generateKeyPair, isSealwireError } from '@sealwire/core'
import { createClient, type SealwireClient } from '@sealwire/client'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bigRoute, eventsRoute } from './support/stream-routes.js'

const MiB = 1024 * 1024
const CHUNK = 64 * 1024

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
function closer(server: Server): () => Promise<void> {
  return () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve())))
}

/** The streaming application: SSE with ids (resumable, and one that fails mid-stream), a large download, uploads. */
async function startApp(): Promise<{ url: string; ticksSeen: Array<string | undefined>; hits: Map<string, number>; close(): Promise<void> }> {
  const sealwire = createSealwireServer({ keys: await KeyRing.from([(await generateKeyPair('X25519')).privateJwk]), singleInstance: true, allowInsecureLoopback: true, streamedUploads: true })
  const ticksSeen: Array<string | undefined> = []
  // Requests per path, for the routes that count them.
  const hits = new Map<string, number>()
  const app = express()
  app.use(sealwireExpress(sealwire))
  app.get('/api/events', eventsRoute)
  // Ten events; the first connection fails after three (the stream is cut, no final record).
  app.get('/api/ticks', (req, res, fail) => {
    const last = req.headers['last-event-id'] as string | undefined
    ticksSeen.push(last)
    res.setHeader('content-type', 'text/event-stream')
    res.write('retry: 20\n\n')
    for (let k = last === undefined ? 0 : Number(last) + 1; k < 10; k += 1) {
      res.write(`id: ${k}\ndata: tick ${k}\n\n`)
      if (last === undefined && k === 2) return void setTimeout(() => fail(new Error('upstream went away')), 20)
    }
    res.end()
  })
  // The same event every time, then a cut: no progress, however often the client comes back.
  const replay: express.RequestHandler = (req, res, fail) => {
    hits.set(req.path, (hits.get(req.path) ?? 0) + 1)
    res.setHeader('content-type', 'text/event-stream')
    res.write(`retry: ${String(req.query.retry ?? 0)}\nid: 1\ndata: one\n\n`)
    setTimeout(() => fail(new Error('upstream went away')), 20)
  }
  app.get('/api/replay', replay)
  app.post('/api/replay', replay)
  app.get('/api/json', (req, res) => {
    hits.set(req.path, (hits.get(req.path) ?? 0) + 1)
    res.json({ ok: true })
  })
  app.get('/api/big', bigRoute)
  app.post('/api/upload', async (req, res, next) => {
    try {
      const hash = createHash('sha256')
      let bytes = 0
      for await (const chunk of req.body as Readable) {
        bytes += (chunk as Buffer).length
        hash.update(chunk as Buffer)
      }
      res.json({ bytes, sha256: hash.digest('hex') })
    } catch (err) {
      next(err)
    }
  })
  // Echoes a streamed upload as a stream: both directions in one exchange.
  app.post('/api/echo', async (req, res) => {
    res.setHeader('content-type', 'application/octet-stream')
    for await (const chunk of req.body as Readable) res.write(chunk)
    res.end()
  })
  const server = createServer(app)
  return { url: await listen(server), ticksSeen, hits, close: closer(server) }
}

/** Peak RSS growth (bytes) while `run` runs, sampled every 20 ms. */
async function rssGrowth<T>(run: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  try {
    const value = await run()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { value, growth: peak - before }
  } finally {
    clearInterval(timer)
  }
}

function gibibyteOf(size: number): { source: () => Readable; sha256: string } {
  const chunk = Buffer.alloc(CHUNK)
  for (let i = 0; i < CHUNK; i += 1) chunk[i] = i % 251
  const hash = createHash('sha256')
  for (let i = 0; i < size / CHUNK; i += 1) hash.update(chunk)
  return {
    sha256: hash.digest('hex'),
    source: () => {
      let left = size / CHUNK
      return new Readable({ read() { this.push(left-- > 0 ? Buffer.from(chunk) : null) } })
    },
  }
}

const codeOf = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'no error',
    (error: unknown) => (isSealwireError(error) ? error.code : `${(error as Error).name}: ${(error as Error).message}`),
  )

describe('the client on sealed streams', () => {
  let app: Awaited<ReturnType<typeof startApp>>
  let client: SealwireClient
  beforeAll(async () => {
    app = await startApp()
    client = createClient({ baseUrl: app.url })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('reads a 1 000-event SSE stream through client.events', async () => {
    const ids: string[] = []
    let sum = 0
    for await (const { event, data, id } of client.events('/api/events?n=1000&interval=0')) {
      expect(event).toBe('message')
      sum += (JSON.parse(data) as { i: number }).i
      ids.push(id)
    }
    expect(ids.length).toBe(1000)
    expect(ids.at(-1)).toBe('999')
    expect(sum).toBe((999 * 1000) / 2)
  })

  it('the first event arrives long before the stream ends (interval=100): each event is flushed as written', async () => {
    const started = performance.now()
    const at: number[] = []
    for await (const _ of client.events('/api/events?n=6&interval=100')) at.push(performance.now() - started)
    expect(at.length).toBe(6)
    expect(at.at(-1)! - at[0]!).toBeGreaterThan(400)
  })

  it('client.fetch returns the plaintext as a stream, not buffered: a Response whose body arrives record by record', async () => {
    const res = await client.fetch('/api/events?n=3&interval=150')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('id: 0\ndata: {"i":0}\n\n')
    let rest = ''
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value)
    expect(rest).toBe('id: 1\ndata: {"i":1}\n\nid: 2\ndata: {"i":2}\n\n')
  })

  it('reconnects after a cut stream with Last-Event-ID, honouring retry:, and ends after the clean end', async () => {
    app.ticksSeen.length = 0
    const seen: string[] = []
    for await (const { data, id } of client.events('/api/ticks')) seen.push(`${id}:${data}`)
    expect(seen).toEqual(Array.from({ length: 10 }, (_, k) => `${k}:tick ${k}`))
    expect(app.ticksSeen).toEqual([undefined, '2'])
  })

  it('gives up after maxAttempts cut connections in a row, with the cut as the error; abortable by signal', async () => {
    const cutEveryTime = client.events('/api/ticks', { maxAttempts: 1 })
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const { id } of cutEveryTime) seen.push(id)
      })(),
    ).rejects.toMatchObject({ code: 'stream_truncated' })
    expect(seen).toEqual(['0', '1', '2'])

    const controller = new AbortController()
    const slow = client.events('/api/events?n=100&interval=200', { signal: controller.signal })
    const got: string[] = []
    await expect(
      (async () => {
        for await (const { id } of slow) {
          got.push(id)
          controller.abort()
        }
      })(),
    ).rejects.toThrow()
    expect(got).toEqual(['0'])
  })

  it('a server that cuts every connection after the same event: reconnections bounded by maxAttempts, never sooner than 250 ms, whatever its retry:', async () => {
    const run = async (path: string, init: Parameters<SealwireClient['events']>[1], stopAfterMs: number) => {
      app.hits.clear()
      const started = performance.now()
      const error = await codeOf(
        (async () => {
          for await (const _ of client.events(path, { ...init, signal: AbortSignal.timeout(stopAfterMs) }));
        })(),
      )
      return { error, connections: app.hits.get('/api/replay'), ms: performance.now() - started }
    }
    // retry: 0 asks for a hot loop; an event id seen before is no progress, so the run of failures goes on.
    const hot = await run('/api/replay?retry=0', { maxAttempts: 3 }, 4000)
    expect(hot.error).toBe('stream_truncated')
    expect(hot.connections).toBe(3)
    expect(hot.ms).toBeGreaterThan(2 * 250)
    // A retry: past setTimeout's range (which would fire after 1 ms) waits as long as it can instead.
    const huge = await run('/api/replay?retry=99999999999', {}, 1000)
    expect(huge.error).toMatch(/TimeoutError|aborted/)
    expect(huge.connections).toBe(1)
  })

  it('a non-GET is not resent after a cut unless the caller says so (reconnect: true)', async () => {
    const post = async (init: Parameters<SealwireClient['events']>[1]) => {
      app.hits.clear()
      const error = await codeOf(
        (async () => {
          for await (const _ of client.events('/api/replay', { method: 'POST', maxAttempts: 2, ...init }));
        })(),
      )
      return { error, requests: app.hits.get('/api/replay') }
    }
    expect(await post({})).toEqual({ error: 'stream_truncated', requests: 1 })
    expect(await post({ reconnect: true })).toEqual({ error: 'stream_truncated', requests: 2 })
  })

  it('an answer that is not text/event-stream is unsupported_media_type, sent once; a caller mistake is thrown at once, not retried', async () => {
    app.hits.clear()
    const started = performance.now()
    const error = await (async () => {
      for await (const _ of client.events('/api/json', { retryMs: 300 }));
    })().catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'SealwireError', code: 'unsupported_media_type' })
    expect((error as Error).message).toMatch(/application\/json, not text\/event-stream: read it with client\.fetch/)
    expect(app.hits.get('/api/json')).toBe(1)
    const misuse = await (async () => {
      for await (const _ of client.events('/api/json', { retryMs: 300, sealHeaders: ['not a header name'] }));
    })().catch((e: unknown) => e)
    expect(misuse).toBeInstanceOf(TypeError)
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('downloads 1 GiB as a stream with bounded memory (not capped by maxResponseBytes)', async () => {
    const { value: bytes, growth } = await rssGrowth(async () => {
      const res = await client.fetch('/api/big?mb=1024')
      let total = 0
      const reader = res.body!.getReader()
      for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length
      return total
    })
    expect(bytes).toBe(1024 * MiB)
    expect(growth).toBeLessThan(128 * MiB)
  }, 180_000)

  it('uploads 1 GiB from a Node Readable as a sealed stream with bounded memory', async () => {
    const gib = gibibyteOf(1024 * MiB)
    const { value, growth } = await rssGrowth(async () => {
      const res = await client.fetch('/api/upload', { method: 'POST', body: gib.source() as unknown as BodyInit, duplex: 'half' } as RequestInit)
      return res.json()
    })
    expect(value).toEqual({ bytes: 1024 * MiB, sha256: gib.sha256 })
    expect(growth).toBeLessThan(128 * MiB)
  }, 180_000)

  it('uploads from a web ReadableStream and an async generator, and reads a streamed answer to the upload', async () => {
    const web = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new TextEncoder().encode('web ')), c.enqueue(new TextEncoder().encode('stream')), c.close()) })
    const res = await client.fetch('/api/echo', { method: 'POST', body: web, duplex: 'half' } as RequestInit)
    expect(await res.text()).toBe('web stream')
    async function* generate() {
      yield 'text and '
      yield new TextEncoder().encode('bytes')
    }
    const again = await client.fetch('/api/echo', { method: 'POST', body: generate() as unknown as BodyInit, duplex: 'half' } as RequestInit)
    expect(await again.text()).toBe('text and bytes')
  })

  it('a source that fails cuts the upload: the server never sees a complete body', async () => {
    async function* failing() {
      yield 'a start'
      throw new Error('disk gone')
    }
    const outcome = await codeOf(client.fetch('/api/upload', { method: 'POST', body: failing() as unknown as BodyInit, duplex: 'half' } as RequestInit))
    expect(outcome).not.toBe('no error')
  })
})

describe('a streamed upload to a server that predates streams', () => {
  it('is refused 415 before anything runs, and reported as stream_upload_unsupported without a resend', async () => {
    const { publicJwk } = await generateKeyPair('X25519')
    let uploads = 0
    // The v1 server's answer to a body that is not application/jose (docs/PROTOCOL.md §5, step 2).
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/sealwire/jwks.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }))
      uploads += 1
      req.resume()
      res.writeHead(415, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'urn:sealwire:problem:unsupported_media_type', title: 'x', status: 415, code: 'unsupported_media_type' }))
    })
    const url = await listen(server)
    try {
      const client = createClient({ baseUrl: url })
      const error = await client.fetch('/api/upload', { method: 'POST', body: Readable.from([Buffer.from('data')]) as unknown as BodyInit, duplex: 'half' } as RequestInit).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'stream_upload_unsupported' })
      expect((error as Error).message).toMatch(/Upgrade @sealwire\/server and turn on its streamedUploads option, or send the body buffered/)
      expect(uploads).toBe(1)
    } finally {
      await closer(server)()
    }
  })
  it('a server that has them off answers the same: the client reports stream_upload_unsupported, the handler never runs', async () => {
    const sealwire = createSealwireServer({ keys: await KeyRing.from([(await generateKeyPair('X25519')).privateJwk]), singleInstance: true, allowInsecureLoopback: true })
    let handled = 0
    const app = express()
    app.use(sealwireExpress(sealwire))
    app.post('/api/upload', (req, res) => {
      handled += 1
      ;(req.body as Readable).resume()
      res.json({ ok: true })
    })
    const server = createServer(app)
    const url = await listen(server)
    try {
      const client = createClient({ baseUrl: url })
      const error = await client.fetch('/api/upload', { method: 'POST', body: Readable.from([Buffer.from('data')]) as unknown as BodyInit, duplex: 'half' } as RequestInit).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'stream_upload_unsupported' })
      expect(handled).toBe(0)
    } finally {
      await closer(server)()
    }
  })
})

/** A body split into its header line (with its LF) and its framed records. */
function framing(body: Buffer): { line: Buffer; records: Buffer[] } {
  const newline = body.indexOf(0x0a)
  const records: Buffer[] = []
  for (let at = newline + 1; at < body.length; ) {
    const end = at + 4 + body.readUInt32BE(at)
    records.push(body.subarray(at, end))
    at = end
  }
  return { line: body.subarray(0, newline + 1), records }
}

interface Exchange {
  /** The request body as the client sent it. */
  request: Buffer
  /** The answer as the server sent it. */
  answer: Buffer
}

/**
 * A man in the middle on loopback: relays each request whole, then answers
 * with `tamper(this exchange, every earlier one)` in place of the server's
 * body (headers as received), so records can be cut, moved and spliced.
 */
async function startTamperingProxy(upstream: string, tamper: (now: Exchange, before: Exchange[]) => Buffer | 'reset'): Promise<{ url: string; streamed: () => number; close(): Promise<void> }> {
  const history: Exchange[] = []
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request = Buffer.concat(chunks)
    const target = new URL(req.url!, upstream)
    const headers = { ...req.headers }
    delete headers['transfer-encoding']
    headers['content-length'] = String(request.length)
    const upstreamRes = await new Promise<IncomingMessage>((resolve, reject) => {
      const out = httpRequest(target, { method: req.method, headers, agent: false }, resolve)
      out.on('error', reject)
      out.end(request)
    })
    const answerChunks: Buffer[] = []
    for await (const chunk of upstreamRes) answerChunks.push(chunk as Buffer)
    const now = { request, answer: Buffer.concat(answerChunks) }
    const streamed = upstreamRes.headers['content-type'] === 'application/sealwire-stream'
    const body = streamed ? tamper(now, history) : now.answer
    if (streamed) history.push(now)
    const out = { ...upstreamRes.headers }
    delete out['transfer-encoding']
    delete out['content-length']
    res.writeHead(upstreamRes.statusCode!, out)
    // A reset: the header line and the first record, then the connection torn down (a network error, not an end).
    if (body === 'reset') {
      const { line, records } = framing(now.answer)
      res.write(Buffer.concat([line, records[0]!]))
      return void setTimeout(() => res.socket?.destroy(), 20)
    }
    res.end(body)
  })
  return { url: await listen(server), streamed: () => history.length, close: closer(server) }
}

describe('records tampered with on the way: each refused with its code', () => {
  let app: Awaited<ReturnType<typeof startApp>>
  beforeAll(async () => {
    app = await startApp()
  })
  afterAll(async () => {
    await app?.close()
  })

  async function throughProxy(tamper: (now: Exchange, before: Exchange[]) => Buffer | 'reset', call: (client: SealwireClient) => Promise<string>) {
    const proxy = await startTamperingProxy(app.url, tamper)
    try {
      return await call(createClient({ baseUrl: proxy.url }))
    } finally {
      await proxy.close()
    }
  }
  const readEvents = (client: SealwireClient) => codeOf(client.fetch('/api/events?n=4&interval=0').then((res) => res.text()))
  const eventsIterator = (client: SealwireClient) =>
    codeOf(
      (async () => {
        for await (const _ of client.events('/api/events?n=4&interval=0', { maxAttempts: 1 }));
      })(),
    )

  it('untouched, the same path reads cleanly (the proxy itself is sound)', async () => {
    expect(await throughProxy((now) => now.answer, readEvents)).toBe('no error')
  })

  it('a body ended cleanly before the final record: stream_truncated, as the Response body and as the SSE iterator', async () => {
    const truncate = (now: Exchange) => {
      const { line, records } = framing(now.answer)
      return Buffer.concat([line, ...records.slice(0, -1)])
    }
    expect(await throughProxy(truncate, readEvents)).toBe('stream_truncated')
    expect(await throughProxy(truncate, eventsIterator)).toBe('stream_truncated')
    // Inside a record, too.
    expect(await throughProxy((now) => now.answer.subarray(0, now.answer.length - 5), readEvents)).toBe('stream_truncated')
  })

  it('client.events: a reset connection and a clean cut are reconnected; a record that fails is thrown at once, never retried', async () => {
    const ids: string[] = []
    const collect = (client: SealwireClient) =>
      codeOf(
        (async () => {
          for await (const { id } of client.events('/api/events?n=4&interval=0', { retryMs: 10 })) ids.push(id)
        })(),
      )
    // The first stream reset after one record (event 0), the second cut before any, the third whole
    // (this route starts over whatever the Last-Event-ID: events 0 to 3 again).
    const resetThenCut = (now: Exchange, before: Exchange[]) => {
      if (before.length === 0) return 'reset' as const
      if (before.length === 1) return framing(now.answer).line
      return now.answer
    }
    const proxy = await startTamperingProxy(app.url, resetThenCut)
    try {
      expect(await collect(createClient({ baseUrl: proxy.url }))).toBe('no error')
      expect(ids).toEqual(['0', '0', '1', '2', '3'])
      expect(proxy.streamed()).toBe(3)
    } finally {
      await proxy.close()
    }
    const duplicate = (now: Exchange) => {
      const { line, records } = framing(now.answer)
      return Buffer.concat([line, records[0]!, records[0]!, ...records.slice(1)])
    }
    const tampered = await startTamperingProxy(app.url, duplicate)
    try {
      expect(await collect(createClient({ baseUrl: tampered.url }))).toBe('stream_record_invalid')
      expect(tampered.streamed()).toBe(1)
    } finally {
      await tampered.close()
    }
  })

  it('reordered or duplicated records: stream_record_invalid', async () => {
    const reorder = (now: Exchange) => {
      const { line, records } = framing(now.answer)
      return Buffer.concat([line, records[1]!, records[0]!, ...records.slice(2)])
    }
    const duplicate = (now: Exchange) => {
      const { line, records } = framing(now.answer)
      return Buffer.concat([line, records[0]!, records[0]!, ...records.slice(1)])
    }
    expect(await throughProxy(reorder, readEvents)).toBe('stream_record_invalid')
    expect(await throughProxy(duplicate, readEvents)).toBe('stream_record_invalid')
    expect(await throughProxy(duplicate, eventsIterator)).toBe('stream_record_invalid')
  })

  it('a record spliced from another stream (an earlier answer): stream_record_invalid', async () => {
    const splice = (now: Exchange, before: Exchange[]) => {
      const { line, records } = framing(now.answer)
      const earlier = before.filter((e) => e.answer.includes(0x0a))
      if (earlier.length === 0) return now.answer
      const other = framing(earlier.at(-1)!.answer).records
      return Buffer.concat([line, records[0]!, other[1]!, ...records.slice(2)])
    }
    const twice = async (client: SealwireClient) => {
      await client.fetch('/api/events?n=4&interval=0').then((res) => res.text())
      return readEvents(client)
    }
    expect(await throughProxy(splice, twice)).toBe('stream_record_invalid')
  })

  it("a record of the request's own upload spliced into its answer: stream_record_invalid", async () => {
    const splice = (now: Exchange) => {
      const upload = framing(now.request).records
      const { line, records } = framing(now.answer)
      return Buffer.concat([line, upload[0]!, ...records.slice(1)])
    }
    const echo = (client: SealwireClient) => {
      const body = Readable.from([Buffer.from('first chunk'), Buffer.from('second chunk')])
      return codeOf(client.fetch('/api/echo', { method: 'POST', body: body as unknown as BodyInit, duplex: 'half' } as RequestInit).then((res) => res.text()))
    }
    expect(await throughProxy((now) => now.answer, echo)).toBe('no error')
    expect(await throughProxy(splice, echo)).toBe('stream_record_invalid')
  })

  it('bytes after the final record: stream_trailing_data; a length prefix of 4 GiB: stream_record_too_large', async () => {
    expect(await throughProxy((now) => Buffer.concat([now.answer, Buffer.from([0])]), readEvents)).toBe('stream_trailing_data')
    const huge = (now: Exchange) => {
      const { line } = framing(now.answer)
      return Buffer.concat([line, Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.alloc(64)])
    }
    expect(await throughProxy(huge, readEvents)).toBe('stream_record_too_large')
  })

  it("an answer's header line altered, or a streamed header passed off as a v1 answer: response_decryption_failed", async () => {
    const altered = (now: Exchange) => {
      const copy = Buffer.from(now.answer)
      copy[copy.indexOf(0x0a) - 3]! ^= 1
      return copy
    }
    expect(await throughProxy(altered, readEvents)).toBe('response_decryption_failed')
  })
})
