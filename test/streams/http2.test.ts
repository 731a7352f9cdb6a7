/**
 * Sealed streams over HTTP/2 (h2c, Node's own server and client): the records of a streamed answer travel in
 * DATA frames as they are written, with no Content-Length, and a streamed upload framed by DATA frames alone is
 * opened record by record. Koa and Fastify (Express does not run on node:http2's compat API).
 */
import { connect, constants, createServer, type Http2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { openResponse, sealRequest } from '@sealwire/core'
import { createRecordReader } from '@sealwire/core/stream'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireFastify } from '@sealwire/server/fastify'
import { sealwireKoa } from '@sealwire/server/koa'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testKeys, type TestKeys } from '../server/helpers/sealing.js'
import { sseBody } from './apps.js'
import { sealUpload } from './client.js'

let keys: TestKeys
let server: SealwireServer
const closers: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  keys = await testKeys()
  server = createSealwireServer({ keys: keys.ring, requireTls: false, singleInstance: true, streamedUploads: true })
})
afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
})

/** Three events, 100 ms apart. */
const events = () => sseBody(3, 100)

async function total(body: Readable): Promise<{ bytes: number }> {
  let bytes = 0
  for await (const chunk of body) bytes += (chunk as Buffer).byteLength
  return { bytes }
}

const apps: Array<[string, () => Promise<string>]> = [
  [
    'koa',
    async () => {
      const app = new Koa()
      app.use(sealwireKoa(server))
      app.use(async (ctx) => {
        if (ctx.path === '/events') {
          ctx.type = 'text/event-stream'
          ctx.body = events()
        } else {
          ctx.body = await total(ctx.request.body as Readable)
        }
      })
      const h2: Http2Server = createServer(app.callback())
      await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve))
      closers.push(() => new Promise((resolve) => h2.close(resolve)))
      return `http://127.0.0.1:${(h2.address() as AddressInfo).port}`
    },
  ],
  [
    'fastify',
    async () => {
      const app = Fastify({ http2: true })
      await app.register(sealwireFastify, { server })
      app.get('/events', (_request, reply) => reply.header('content-type', 'text/event-stream').send(events()))
      app.post('/upload', async (request) => total(request.body as Readable))
      await app.listen({ port: 0, host: '127.0.0.1' })
      closers.push(() => app.close())
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    },
  ],
]

/** One request over h2c; the DATA of the answer with the time each arrived. */
function request(origin: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array[]) {
  return new Promise<{ status: number; headers: Record<string, unknown>; data: Array<{ at: number; bytes: Buffer }> }>((resolve, reject) => {
    const session = connect(origin)
    session.on('error', reject)
    const started = performance.now()
    const stream = session.request({ [constants.HTTP2_HEADER_METHOD]: method, [constants.HTTP2_HEADER_PATH]: path, ...headers }, { endStream: body === undefined })
    const data: Array<{ at: number; bytes: Buffer }> = []
    let head: Record<string, unknown> = {}
    stream.on('response', (h) => (head = h))
    stream.on('data', (bytes: Buffer) => data.push({ at: performance.now() - started, bytes }))
    stream.on('end', () => {
      session.close()
      resolve({ status: Number(head[':status']), headers: head, data })
    })
    stream.on('error', reject)
    if (body !== undefined) {
      for (const part of body) stream.write(part)
      stream.end()
    }
  })
}

describe.each(apps)('%s: sealed streams over HTTP/2', (_name, start) => {
  let origin: string
  beforeAll(async () => {
    origin = await start()
  })

  it('a streamed answer comes in DATA frames as written, no Content-Length, and opens to every event', async () => {
    const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/events' }, streams: true })
    const res = await request(origin, 'GET', '/events', sealed.headers)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/sealwire-stream')
    expect(res.headers['content-length']).toBeUndefined()
    // The frames spread over the ~200 ms the handler took: nothing was held back to the end.
    expect(res.data.at(-1)!.at - res.data[0]!.at).toBeGreaterThan(150)
    const body = Buffer.concat(res.data.map((d) => d.bytes))
    const newline = body.indexOf(0x0a)
    const { key } = await openResponse(body.subarray(0, newline).toString('latin1'), { reply: sealed.reply, status: 200, stream: true })
    const reader = createRecordReader(key)
    const text = (await reader.push(body.subarray(newline + 1))).map((p) => Buffer.from(p).toString()).join('')
    reader.end()
    expect(text).toBe('data: {"i":0}\n\ndata: {"i":1}\n\ndata: {"i":2}\n\n')
  })

  it('a streamed upload framed by DATA frames alone is opened record by record', async () => {
    const upload = await sealUpload(keys.recipients.X25519, '/upload', [new Uint8Array(70_000), new Uint8Array(30)])
    const res = await request(origin, 'POST', '/upload', upload.sealed.headers, upload.parts)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/jose')
    const opened = await openResponse(Buffer.concat(res.data.map((d) => d.bytes)).toString('latin1'), { reply: upload.sealed.reply, status: 200 })
    expect(JSON.parse(Buffer.from(opened.body).toString())).toEqual({ bytes: 70_030 })
  })
})
