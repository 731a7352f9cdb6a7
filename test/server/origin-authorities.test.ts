/**
 * The origin binding against every authority an application can read
 * (docs/PROTOCOL.md §3.4): with `origins`, a request whose `Host` matches the
 * envelope's `hto` but whose `X-Forwarded-Host`, `Forwarded: host=` or (HTTP/2)
 * `Host` beside `:authority` names another origin is refused at step 9, sealed.
 * Each app answers the host its framework reports, with the framework's own
 * trust-proxy setting on: before the engine checked these headers, every one
 * of them ran a.example's envelope as b.example.
 */
import type { AddressInfo } from 'node:net'
import type { SealedRequest } from '@sealwire/core'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireFastify } from '@sealwire/server/fastify'
import { withSealwire } from '@sealwire/server/fetch'
import { sealwireKoa } from '@sealwire/server/koa'
import { sealwireLambda } from '@sealwire/server/lambda'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchListener } from './harness/fetch.js'
import { lambdaListener } from './harness/lambda.js'
import { serveNode } from './harness/listen.js'
import type { RunningApp } from './harness/spec.js'
import { http2Request } from './helpers/http2.js'
import { openSealed, seal, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'

const A = 'http://a.example'
const B = 'http://b.example'

let keys: TestKeys
let server: SealwireServer
const apps: RunningApp[] = []

beforeAll(async () => {
  keys = await testKeys()
  // Plain HTTP on loopback: the scheme is http, so the tenants are http origins.
  server = createSealwireServer({ keys: keys.ring, requireTls: false, singleInstance: true, origins: [A, B] })
})
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
})

const sealForA = () => seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/tenant', body: { n: 1 }, origin: A })

/** What came back: the refusal's code, or the host the handler saw. */
async function outcome(res: Parameters<typeof openSealed>[0], sealed: SealedRequest) {
  const opened = await openSealed<{ code?: string; host?: string }>(res, sealed)
  return opened.status === 200 ? { status: 200, host: opened.json.host } : { status: opened.status, code: opened.json.code }
}

const REFUSED = { status: 400, code: 'binding_mismatch' }

/** Node apps that name the host their framework reports, each with its trust-proxy setting on. */
const nodeApps: Array<[string, () => Promise<RunningApp>]> = [
  [
    'express (trust proxy)',
    async () => {
      const app = express()
      app.set('trust proxy', true)
      app.use(sealwireExpress(server))
      app.post('/tenant', (req, res) => {
        res.json({ host: req.hostname })
      })
      return serveNode(app)
    },
  ],
  [
    'koa (app.proxy)',
    async () => {
      const app = new Koa()
      app.proxy = true
      app.use(sealwireKoa(server))
      app.use((ctx) => {
        ctx.body = { host: ctx.hostname }
      })
      return serveNode(app.callback())
    },
  ],
  [
    'fastify (trustProxy)',
    async () => {
      const app = Fastify({ trustProxy: true })
      await app.register(sealwireFastify, { server })
      app.post('/tenant', async (request) => ({ host: request.hostname }))
      await app.ready()
      const running = await serveNode((req, res) => app.routing(req, res))
      return { ...running, close: async () => (await running.close(), await app.close()) }
    },
  ],
  [
    'fetch (an app reading X-Forwarded-Host or Forwarded itself)',
    async () => {
      const handler = withSealwire(server, (request) => {
        const forwarded = /host="?([^";,]+)/i.exec(request.headers.get('forwarded') ?? '')?.[1]
        return Response.json({ host: request.headers.get('x-forwarded-host') ?? forwarded ?? new URL(request.url).hostname })
      }, { peer: (_request, info: { remoteAddress: string | undefined }) => info.remoteAddress })
      return serveNode(fetchListener(handler))
    },
  ],
  [
    'lambda (a function reading X-Forwarded-Host or Forwarded itself)',
    async () => {
      const handler = sealwireLambda(server, async (event) => {
        const forwarded = /host="?([^";,]+)/i.exec(event.headers.forwarded ?? '')?.[1]
        return { host: event.headers['x-forwarded-host'] ?? forwarded ?? event.headers.host }
      })
      return serveNode(lambdaListener(handler))
    },
  ],
]

describe.each(nodeApps)('%s', (_name, start) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start()
    apps.push(app)
  })
  const send = (sealed: SealedRequest, headers: Record<string, string>) => sendSealed(app.plainUrl, 'POST', '/tenant', sealed, { headers: { host: 'a.example', ...headers } })

  it('serves the bound host, with forwarding headers that name it too', async () => {
    let sealed = await sealForA()
    expect(await outcome(await send(sealed, {}), sealed)).toEqual({ status: 200, host: 'a.example' })
    sealed = await sealForA()
    expect(await outcome(await send(sealed, { 'x-forwarded-host': 'a.example', forwarded: 'for=192.0.2.1;host="a.example"' }), sealed)).toEqual({ status: 200, host: 'a.example' })
  })

  it('refuses, sealed, Host a.example with X-Forwarded-Host b.example', async () => {
    const sealed = await sealForA()
    expect(await outcome(await send(sealed, { 'x-forwarded-host': 'b.example' }), sealed)).toEqual(REFUSED)
  })

  it('refuses b.example in any X-Forwarded-Host position, and in Forwarded host=', async () => {
    const cases: Array<Record<string, string>> = [{ 'x-forwarded-host': 'a.example, b.example' }, { 'x-forwarded-host': 'b.example, a.example' }, { forwarded: 'for=192.0.2.1;host=b.example' }, { forwarded: 'host=a.example, host="b.example"' }]
    for (const headers of cases) {
      const sealed = await sealForA()
      expect(await outcome(await send(sealed, headers), sealed), JSON.stringify(headers)).toEqual(REFUSED)
    }
  })
})

describe('fastify over HTTP/2 (Host beside :authority)', () => {
  let origin: string
  beforeAll(async () => {
    const app = Fastify({ http2: true })
    await app.register(sealwireFastify, { server })
    app.post('/tenant', async (request) => ({ host: request.hostname }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    apps.push({ secureUrl: origin, plainUrl: origin, close: () => app.close() })
  })
  const send = async (sealed: SealedRequest, headers: Record<string, string>) => {
    const res = await http2Request(origin, { method: 'POST', path: '/tenant', headers: { ...sealed.headers, 'content-length': String(sealed.httpBody!.length), ...headers }, body: sealed.httpBody! })
    return { ...res, statusMessage: '', headers: res.headers as Record<string, string> }
  }

  it('serves :authority a.example alone', async () => {
    const sealed = await sealForA()
    expect(await outcome(await send(sealed, { ':authority': 'a.example' }), sealed)).toEqual({ status: 200, host: 'a.example' })
  })

  it('refuses :authority a.example with Host b.example, which Fastify reads first', async () => {
    const sealed = await sealForA()
    expect(await outcome(await send(sealed, { ':authority': 'a.example', host: 'b.example' }), sealed)).toEqual(REFUSED)
  })
})
