/**
 * Chunks that seal to no record. A web stream's pull that enqueues nothing is
 * not called again, so an empty chunk (an empty token delta, a `yield ''`)
 * must not end a pull empty-handed: the answer or the upload would hang. And a
 * handler stream that yields something other than bytes ends the answer cut
 * at once, not after its producer gives up.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { KeyRing, generateKeyPair, openResponse, sealRequest } from '@sealwire/core'
import { openRecordBody } from '@sealwire/core/stream'
import { createClient } from '@sealwire/client'
import { createSealwireServer, type SealwireEvent } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireKoa } from '@sealwire/server/koa'
import { withSealwire } from '@sealwire/server/fetch'
import express from 'express'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'
import { testKeys } from '../server/helpers/sealing.js'

const text = (s: string) => new TextEncoder().encode(s)
/** Reads `stream` to its end, each chunk as text into `into`; throws what the stream errors with. */
async function readAll(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const reader = stream.getReader()
  for (let r = await reader.read(); !r.done; r = await reader.read()) into.push(Buffer.from(r.value).toString())
}
const within = <T>(ms: number, work: Promise<T>): Promise<T | 'timed out'> => Promise.race([work, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms))])

/** The fetch adapter's streamed answer to `source`, read whole by the requester: its plaintext or its verdict. */
async function answerOf(source: ReadableStream<unknown>, onEvent?: (e: SealwireEvent) => void) {
  const keys = await testKeys()
  const server = createSealwireServer({ keys: keys.ring, singleInstance: true, ...(onEvent ? { onEvent } : {}) })
  const handler = withSealwire(server, () => new Response(source as ReadableStream<Uint8Array>, { headers: { 'content-type': 'text/event-stream' } }))
  const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/sse' }, streams: true })
  const response = await handler(new Request('https://api.example.test/sse', { method: 'GET', headers: sealed.headers }))
  const wire = Buffer.from(await response.arrayBuffer())
  const newline = wire.indexOf(10)
  const head = await openResponse(wire.subarray(0, newline).toString('latin1'), { reply: sealed.reply, status: response.status, stream: true })
  const records = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(wire.subarray(newline + 1)), c.close()) })
  const plain: string[] = []
  try {
    await readAll(openRecordBody(records, head.key), plain)
    return { plain, verdict: 'complete' }
  } catch (err) {
    return { plain, verdict: (err as { code?: string }).code }
  }
}

describe('fetch adapter: a handler stream', () => {
  it('with empty chunks among its events streams on to a complete answer', async () => {
    const chunks = [text('data: {"i":0}\n\n'), new Uint8Array(0), new Uint8Array(0), text('data: {"i":1}\n\n'), new Uint8Array(0)]
    const source = new ReadableStream<Uint8Array>({ pull: (c) => (chunks.length > 0 ? c.enqueue(chunks.shift()!) : c.close()) })
    const outcome = await within(3000, answerOf(source))
    expect(outcome).toEqual({ plain: ['data: {"i":0}\n\n', 'data: {"i":1}\n\n'], verdict: 'complete' })
  })

  it('that yields a string ends the answer cut at once, cancels the handler stream and says so', async () => {
    let cancelled = false
    let pulls = 0
    const events: string[] = []
    const source = new ReadableStream<unknown>({
      pull(c) {
        pulls += 1
        // The second chunk is not bytes; the producer would go on for ever.
        c.enqueue(pulls === 2 ? 'data: oops\n\n' : text(`data: {"i":${pulls}}\n\n`))
      },
      cancel: () => void (cancelled = true),
    })
    const outcome = await within(3000, answerOf(source, (e) => events.push(e.type === 'rejected' ? `rejected ${e.code}` : e.type)))
    expect(outcome).toEqual({ plain: ['data: {"i":1}\n\n'], verdict: 'stream_truncated' })
    expect(cancelled).toBe(true)
    expect(events).toContain('rejected internal_error')
  })
})

describe('client: a streamed upload', () => {
  it('whose source yields empty chunks is sent whole', async () => {
    const sealwire = createSealwireServer({ keys: await KeyRing.from([(await generateKeyPair('X25519')).privateJwk]), singleInstance: true, allowInsecureLoopback: true, streamedUploads: true })
    const app = express()
    app.use(sealwireExpress(sealwire))
    app.post('/api/upload', async (req, res) => {
      let body = ''
      for await (const chunk of req.body as Readable) body += (chunk as Buffer).toString()
      res.json({ body })
    })
    const server = createServer(app).listen(0, '127.0.0.1')
    await once(server, 'listening')
    const client = createClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
    try {
      async function* source() {
        yield ''
        yield 'abc'
        yield new Uint8Array(0)
        yield ''
        yield 'def'
        yield ''
      }
      const answer = within(5000, client.fetch('/api/upload', { method: 'POST', body: source() as unknown as BodyInit, duplex: 'half' } as RequestInit).then((r) => r.json()))
      expect(await answer).toEqual({ body: 'abcdef' })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('Koa: a handler stream', () => {
  it('that yields neither text nor bytes ends the answer cut at once, without reading it further', async () => {
    const keys = await testKeys()
    const events: string[] = []
    const sealwire = createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true, onEvent: (e) => void events.push(e.type === 'rejected' ? `rejected ${e.code}` : e.type) })
    let pulls = 0
    const app = new Koa()
    app.use(sealwireKoa(sealwire))
    app.use((ctx) => {
      ctx.type = 'text/event-stream'
      // An object-mode stream with no end: the second chunk is an object.
      ctx.body = new Readable({ objectMode: true, read() { pulls += 1; this.push(pulls === 2 ? { i: 2 } : `data: {"i":${pulls}}\n\n`) } })
    })
    const server = createServer(app.callback()).listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`
      const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/sse', origin: new URL(url).origin }, streams: true })
      const read = async () => {
        const response = await fetch(url, { headers: sealed.headers })
        const wire = Buffer.from(await response.arrayBuffer().catch(() => new ArrayBuffer(0)))
        const newline = wire.indexOf(10)
        const head = await openResponse(wire.subarray(0, newline).toString('latin1'), { reply: sealed.reply, status: response.status, stream: true })
        const plain: string[] = []
        const records = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(wire.subarray(newline + 1)), c.close()) })
        try {
          await readAll(openRecordBody(records, head.key), plain)
          return { plain, verdict: 'complete' }
        } catch (err) {
          return { plain, verdict: (err as { code?: string }).code }
        }
      }
      expect(await within(3000, read())).toEqual({ plain: ['data: {"i":1}\n\n'], verdict: 'stream_truncated' })
      expect(pulls).toBeLessThan(10)
      expect(events).toContain('rejected internal_error')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
