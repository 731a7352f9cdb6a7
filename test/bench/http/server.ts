/**
 * One server under test for the HTTP benchmark, a process of its own (the
 * load generator must not share its event loop): `POST /echo` answering the
 * JSON body it got, on a free loopback port, plain or behind Sealwire.
 *
 *   node server.js <express|fastify|hono> <plain|sealwire|crypto-only>   (SEALWIRE_BENCH_JWK: the private JWK)
 *
 * `crypto-only` (Express): the same sealed exchange with Sealwire's Node
 * backend and nothing else — open the envelope, parse it, seal the echo to
 * its response key — and none of the protocol's checks (freshness, binding,
 * replay, header schema, limits) or adapter work (body cap, header rewriting,
 * error answers). That is the work any middleware of this protocol must do,
 * with the body parser the plain server uses, so its ratio to plain Express is
 * in practice the ceiling for Sealwire's.
 *
 * Reports `{ port }` over IPC once listening, and `{ cpuMicros }` (its CPU
 * time so far) when sent 'cpu'; exits when its parent disconnects or sends SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve, type HttpBindings } from '@hono/node-server'
import { nodeBackend } from '@sealwire/core/node'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireFastify } from '@sealwire/server/fastify'
import { withSealwire } from '@sealwire/server/fetch'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'

import { BENCH_ROUTE, FRAMEWORKS, MODES, type Framework, type Mode } from './contract.js'

const [framework, mode] = process.argv.slice(2) as [Framework, Mode]
if (!FRAMEWORKS.includes(framework) || !MODES.includes(mode) || (mode === 'crypto-only' && framework !== 'express')) {
  throw new Error(`usage: server.js <${FRAMEWORKS.join('|')}> <${MODES.join('|')}> (crypto-only: express)`)
}

type PrivateJwk = Parameters<typeof nodeBackend.importPrivateKey>[0]

function benchJwk(): PrivateJwk {
  const jwk = process.env.SEALWIRE_BENCH_JWK
  if (jwk === undefined) throw new Error('SEALWIRE_BENCH_JWK is not set')
  return JSON.parse(jwk) as PrivateJwk
}

async function sealwireServer(): Promise<SealwireServer> {
  // Plain HTTP on loopback: the benchmark measures Sealwire, not TLS.
  const server = createSealwireServer({ keys: [benchJwk()], allowInsecureLoopback: true, singleInstance: true })
  await server.ready
  return server
}

/** The crypto-only echo (see the top of this file): Sealwire's backend, no checks. */
async function cryptoOnlyEcho(): Promise<express.RequestHandler> {
  const key = await nodeBackend.importPrivateKey(benchJwk())
  const header = { alg: 'dir', enc: 'A256GCM' }
  return async (req, res) => {
    const plaintext = await nodeBackend.openWithPrivateKey(req.body as string, key)
    const { rk, body } = JSON.parse(Buffer.from(plaintext).toString()) as { rk: string; body: unknown }
    const sealed = await nodeBackend.sealWithSecret(Buffer.from(JSON.stringify(body)), header, Buffer.from(rk, 'base64url'))
    res.type('application/jose').send(sealed)
  }
}

/** Listens on 127.0.0.1, port 0; resolves the port. */
function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler)
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

async function start(): Promise<number> {
  const sealwire = mode === 'sealwire' ? await sealwireServer() : undefined
  if (framework === 'express') {
    const app = express()
    const echo = (req: express.Request, res: express.Response) => void res.json(req.body)
    if (mode === 'crypto-only') app.post(BENCH_ROUTE, express.text({ type: 'application/jose' }), await cryptoOnlyEcho())
    else if (sealwire === undefined) app.post(BENCH_ROUTE, express.json(), echo)
    else app.post(BENCH_ROUTE, sealwireExpress(sealwire), echo)
    return listen(app)
  }
  if (framework === 'fastify') {
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
    const app = Fastify({ serverFactory: (h) => ((handler = h), createServer()) })
    if (sealwire !== undefined) await app.register(sealwireFastify, { server: sealwire })
    app.post(BENCH_ROUTE, async (request) => request.body)
    await app.ready()
    return listen((req, res) => handler!(req, res))
  }
  const app = new Hono<{ Bindings: HttpBindings }>()
  app.post(BENCH_ROUTE, async (c) => c.json(await c.req.json()))
  const fetch: (request: Request, env: HttpBindings) => Response | Promise<Response> =
    sealwire === undefined
      ? (request, env) => app.fetch(request, env)
      : withSealwire(sealwire, (request: Request, env: HttpBindings) => app.fetch(request, env), { peer: (_request, env: HttpBindings) => env.incoming.socket.remoteAddress })
  return new Promise((resolve) => {
    const server = serve({ fetch: fetch as Parameters<typeof serve>[0]['fetch'], hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port))
    void server
  })
}

const port = await start()
process.send?.({ port })
// CPU time on request, around the measured run: server CPU per request holds on
// a busy machine, where req/s depends on what else shares the cores.
process.on('message', (message) => {
  if (message !== 'cpu') return
  const { user, system } = process.cpuUsage()
  process.send?.({ cpuMicros: user + system })
})
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
