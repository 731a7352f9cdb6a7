// The streaming routes, in each adapter's own idiom, served on plain HTTP on loopback:
//
// - GET  /events?n=N&interval=MS  → text/event-stream: N events `data: {"i":k}`, one every MS ms
// - GET  /once                    → 200 {"ok": true}, in one go
// - GET  /fail                    → one event, then the handler fails
// - GET  /big?mb=M                → M MiB of octets from a stream that honours backpressure
// - POST /upload                  → reads the (streamed) body whole; 200 {bytes, sha256}
// - POST /typed                   → a route with a (nullable) schema; notes `typed` in the probe and answers the body
//
// Each app reports into a `Probe`: how many bytes /big produced, and what /upload's handler saw.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { serve } from '@hono/node-server'
import type { SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
import { withSealwire } from '@sealwire/server/fetch'
import { sealwireKoa } from '@sealwire/server/koa'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import Koa from 'koa'
import { z } from 'zod'

export interface Probe {
  /** Bytes /big's source produced so far. */
  produced: number
  /** What /upload's handler saw, in order: `ran`, then `end` or `error:<code>`; `typed` when /typed's handler ran. */
  upload: string[]
}

/** /typed's schema: nullable, so that a body of `null` alone would pass it. */
const Typed = z.object({ amount: z.number().max(100) }).nullable()

export interface StreamApp {
  name: string
  url: string
  probe: Probe
  close(): Promise<void>
}

const CHUNK = 64 * 1024
const event = (k: number) => `data: {"i":${k}}\n\n`

/** /big's source: `mb` MiB in 64 KiB chunks, produced only as fast as it is read. */
function big(probe: Probe, mb: number): Readable {
  let left = mb * 16
  return new Readable({
    read() {
      if (left-- <= 0) return void this.push(null)
      probe.produced += CHUNK
      this.push(Buffer.alloc(CHUNK, 0x61))
    },
  })
}

async function consume(probe: Probe, body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  probe.upload.push('ran')
  const hash = createHash('sha256')
  let bytes = 0
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength
      hash.update(chunk)
    }
  } catch (err) {
    probe.upload.push(`error:${(err as { code?: string }).code}`)
    throw err
  }
  probe.upload.push('end')
  return { bytes, sha256: hash.digest('hex') }
}

const numberParam = (url: URL, name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback)

/** A stream body of `n` server-sent events `data: {"i":k}`, one every `interval` ms. */
export function sseBody(n: number, interval: number): PassThrough {
  const body = new PassThrough()
  let k = 0
  const timer = setInterval(() => {
    body.write(event(k))
    if (++k === n) {
      clearInterval(timer)
      body.end()
    }
  }, interval)
  body.on('close', () => clearInterval(timer))
  return body
}

/** /events as a stream body: `n` and `interval` from the query. */
const eventsBody = (url: URL): PassThrough => sseBody(numberParam(url, 'n', 1), numberParam(url, 'interval', 0))

/** /fail as a stream body: one event, then the stream fails. */
function failingBody(): PassThrough {
  const body = new PassThrough()
  body.write(event(0))
  setTimeout(() => body.destroy(new Error('the model went away')), 50)
  return body
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function closer(server: Server) {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
}

export async function expressApp(sealwire: SealwireServer): Promise<StreamApp> {
  const probe: Probe = { produced: 0, upload: [] }
  const app = express()
  app.use(sealwireExpress(sealwire))
  app.get('/events', (req, res) => {
    // As SSE libraries do: the head at once, then one res.write per event (through pipe).
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.flushHeaders()
    eventsBody(new URL(req.originalUrl, 'http://x')).pipe(res)
  })
  app.get('/once', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/fail', (_req, res, next) => {
    res.setHeader('content-type', 'text/event-stream')
    res.write(event(0))
    setTimeout(() => next(new Error('the model went away')), 50)
  })
  app.get('/big', (req, res) => {
    res.setHeader('content-type', 'application/octet-stream')
    big(probe, Number(req.query.mb)).pipe(res)
  })
  app.post('/typed', sealwireExpress(sealwire, { schema: Typed }), (req, res) => {
    probe.upload.push('typed')
    res.json({ body: req.body ?? null })
  })
  app.post('/upload', async (req, res, next) => {
    try {
      res.json(await consume(probe, req.body as Readable))
    } catch (err) {
      next(err)
    }
  })
  const server = createServer(app)
  return { name: 'express', url: await listen(server), probe, close: closer(server) }
}

export async function koaApp(sealwire: SealwireServer): Promise<StreamApp> {
  const probe: Probe = { produced: 0, upload: [] }
  const app = new Koa()
  app.silent = true
  app.use(sealwireKoa(sealwire))
  const typed = sealwireKoa(sealwire, { schema: Typed })
  app.use(async (ctx, next) => {
    if (ctx.path !== '/typed') return next()
    await typed(ctx as Parameters<typeof typed>[0], async () => {
      probe.upload.push('typed')
      ctx.body = { body: ctx.request.body ?? null }
    })
  })
  app.use(async (ctx) => {
    const url = new URL(ctx.originalUrl, 'http://x')
    if (ctx.path === '/events') {
      ctx.type = 'text/event-stream'
      ctx.body = eventsBody(url)
    } else if (ctx.path === '/once') {
      ctx.body = { ok: true }
    } else if (ctx.path === '/fail') {
      ctx.type = 'text/event-stream'
      ctx.body = failingBody()
    } else if (ctx.path === '/big') {
      ctx.type = 'application/octet-stream'
      ctx.body = big(probe, numberParam(url, 'mb', 1))
    } else if (ctx.path === '/upload') {
      ctx.body = await consume(probe, ctx.request.body as Readable)
    }
  })
  const server = createServer(app.callback())
  return { name: 'koa', url: await listen(server), probe, close: closer(server) }
}

export async function fastifyApp(sealwire: SealwireServer): Promise<StreamApp> {
  const probe: Probe = { produced: 0, upload: [] }
  const app = Fastify()
  await app.register(sealwireFastify, { server: sealwire })
  app.get('/events', (request, reply) => reply.header('content-type', 'text/event-stream').send(eventsBody(new URL(request.url, 'http://x'))))
  app.get('/once', async () => ({ ok: true }))
  app.get('/fail', (_request, reply) => reply.header('content-type', 'text/event-stream').send(failingBody()))
  app.get('/big', (request, reply) => reply.header('content-type', 'application/octet-stream').send(big(probe, numberParam(new URL(request.url, 'http://x'), 'mb', 1))))
  app.post('/upload', async (request) => consume(probe, request.body as Readable))
  app.post(
    '/typed',
    sealwireRoute(Typed, async (request) => {
      probe.upload.push('typed')
      return { body: request.body ?? null }
    }),
  )
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { name: 'fastify', url, probe, close: () => app.close() }
}

/** Hono on @hono/node-server, behind `withSealwire`: `streamSSE` and web streams. */
export async function fetchApp(sealwire: SealwireServer): Promise<StreamApp> {
  const probe: Probe = { produced: 0, upload: [] }
  const app = new Hono()
  app.get('/events', (c) =>
    streamSSE(c, async (sse) => {
      const n = Number(c.req.query('n'))
      for (let k = 0; k < n; k++) {
        if (k > 0) await sse.sleep(Number(c.req.query('interval')))
        await sse.writeSSE({ data: JSON.stringify({ i: k }) })
      }
    }),
  )
  app.get('/once', (c) => c.json({ ok: true }))
  app.get('/fail', () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(event(0)))
        setTimeout(() => controller.error(new Error('the model went away')), 50)
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
  })
  app.get('/big', (c) => new Response(Readable.toWeb(big(probe, Number(c.req.query('mb')))) as ReadableStream<Uint8Array>, { headers: { 'content-type': 'application/octet-stream' } }))
  app.post('/upload', async (c) => c.json(await consume(probe, c.req.raw.body as unknown as AsyncIterable<Uint8Array>)))
  app.post('/typed', async (c) => {
    probe.upload.push('typed')
    return c.json({ body: await c.req.json() })
  })
  const peer = (_request: Request, env?: unknown) => (env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress
  const plain = withSealwire(sealwire, app.fetch, { peer })
  // One route with a schema, as withSealwire takes it: a handler of its own.
  const typed = withSealwire(sealwire, app.fetch, { peer, schema: Typed })
  const handle = (request: Request, env?: unknown) => (new URL(request.url).pathname === '/typed' ? typed : plain)(request, env as never)
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: handle as Parameters<typeof serve>[0]['fetch'], hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server))
  })
  return { name: 'fetch (Hono)', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, probe, close: closer(server) }
}
