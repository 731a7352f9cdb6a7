/**
 * HTTP/2 frames a body itself, Content-Length optional (RFC 9113 §8.1): the
 * Node adapters must see a body in a request whose HEADERS frame did not end
 * the stream (docs/PROTOCOL.md §3.1). Real node:http2 servers and client, h2c.
 * Koa and Fastify only: Express 4 and 5 do not run on node:http2's compat API
 * (their request prototype swap breaks on Http2ServerRequest).
 */
import { createServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { SealedRequest } from '@sealwire/core'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireFastify } from '@sealwire/server/fastify'
import { sealwireKoa } from '@sealwire/server/koa'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { http2Request } from './helpers/http2.js'
import { ENVELOPE_HEADER, openSealed, plainProblem, seal, testKeys, type TestKeys } from './helpers/sealing.js'

let keys: TestKeys
let server: SealwireServer
const closers: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  keys = await testKeys()
  server = createSealwireServer({ keys: keys.ring, requireTls: false })
})
afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
})

async function listenH2(listener: (req: Http2ServerRequest, res: Http2ServerResponse) => void): Promise<string> {
  const h2: Http2Server = createServer(listener)
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => h2.close(resolve)))
  return `http://127.0.0.1:${(h2.address() as AddressInfo).port}`
}

/** Each app answers POST /echo and GET /items with what the handler saw. */
const apps: Array<[string, () => Promise<string>]> = [
  [
    'koa',
    () => {
      const app = new Koa()
      app.use(sealwireKoa(server))
      app.use((ctx) => {
        ctx.body = { got: ctx.request.body ?? null, method: ctx.method }
      })
      return listenH2(app.callback())
    },
  ],
  [
    'fastify',
    async () => {
      const app = Fastify({ http2: true })
      await app.register(sealwireFastify, { server })
      app.post('/echo', async (request) => ({ got: request.body ?? null, method: request.method }))
      app.get('/items', async (request) => ({ got: request.body ?? null, method: request.method }))
      await app.listen({ port: 0, host: '127.0.0.1' })
      closers.push(() => app.close())
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    },
  ],
]

describe.each(apps)('%s over HTTP/2 without Content-Length', (_name, start) => {
  let origin: string
  beforeAll(async () => {
    origin = await start()
  })
  const asRaw = (res: Awaited<ReturnType<typeof http2Request>>) => ({ ...res, statusMessage: '', headers: res.headers as Record<string, string> })

  it('accepts an honest body envelope, framed by DATA frames alone', async () => {
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: { amount: 7 } })
    const { 'content-length': _length, ...headers } = sealed.headers as Record<string, string>
    const res = asRaw(await http2Request(origin, { method: 'POST', path: '/echo', headers, body: sealed.httpBody! }))
    const opened = await openSealed<{ got: unknown }>(res, sealed)
    expect(opened.status).toBe(200)
    expect(opened.json.got).toEqual({ amount: 7 })
  })

  it('refuses an envelope header beside a body (415), before any handler runs', async () => {
    const sealed: SealedRequest = await seal({ recipient: keys.recipients.X25519, method: 'GET', target: '/items' })
    const res = asRaw(await http2Request(origin, { method: 'GET', path: '/items', headers: { [ENVELOPE_HEADER.toLowerCase()]: sealed.headers[ENVELOPE_HEADER]!, 'content-type': 'application/jose' }, body: 'plaintext smuggled beside the envelope' }))
    expect(res.status).toBe(415)
    expect(plainProblem(res).code).toBe('unsupported_media_type')
  })

  it('still takes a header envelope on a request whose HEADERS frame ends the stream', async () => {
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'GET', target: '/items' })
    const res = asRaw(await http2Request(origin, { method: 'GET', path: '/items', headers: { [ENVELOPE_HEADER.toLowerCase()]: sealed.headers[ENVELOPE_HEADER]! } }))
    expect((await openSealed(res, sealed)).status).toBe(200)
  })
})
