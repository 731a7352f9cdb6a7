/**
 * One server under test for the HTTP benchmark, a process of its own (the
 * load generator must not share its event loop): `POST /echo` answering the
 * JSON body it got, on a free loopback port — plain, behind Sealwire, the
 * floor, or behind Sealwire with sessions on (`sessions`: the same adapter,
 * `sessions: {}`, its session store counted so the load can show that its
 * requests were opened within a session).
 *
 *   node server.js <express|fastify|hono> <plain|sealwire|floor|sessions>   (SEALWIRE_BENCH_JWK: the private JWK)
 *
 * The floor (floor/floor-echo.ts) is the sealed exchange with nothing but
 * node:crypto and none of the protocol's checks, in each framework's own idiom
 * as tightly as it goes: the raw body from the request stream's `data`/`end`
 * events, the sealed answer written with `res.end` (Express), `reply.send` of
 * a string (Fastify), a `Response` (Hono). Sealwire's ratio to it is how close
 * Sealwire comes to what the protocol costs in that framework.
 *
 * Reports `{ port }` over IPC once listening; to 'start' it answers its CPU
 * time so far and starts counting heap allocation, to 'stop' its CPU time and
 * the heap bytes allocated since 'start' (heap-allocation.ts), and with
 * sessions the lookups that found one and the sessions made. Exits when its
 * parent disconnects or sends SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { JsonWebKey } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve, type HttpBindings } from '@hono/node-server'
import { MemorySessionStore, type SessionStore } from '@sealwire/core'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireFastify } from '@sealwire/server/fastify'
import { withSealwire } from '@sealwire/server/fetch'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'

import { floorEcho, readBody, SEALED_HEADERS } from '../floor/floor-echo.js'
import { countHeapAllocation } from '../heap-allocation.js'
import { BENCH_ROUTE, FRAMEWORKS, MODES, type Framework, type Mode, type ServerCommand, type ServerReading } from './contract.js'

const [framework, mode] = process.argv.slice(2) as [Framework, Mode]
if (!FRAMEWORKS.includes(framework) || !MODES.includes(mode)) throw new Error(`usage: server.js <${FRAMEWORKS.join('|')}> <${MODES.join('|')}>`)

function benchJwk(): JsonWebKey {
  const jwk = process.env.SEALWIRE_BENCH_JWK
  if (jwk === undefined) throw new Error('SEALWIRE_BENCH_JWK is not set')
  return JSON.parse(jwk) as JsonWebKey
}

/** With sessions: lookups that found a live session, and sessions established, since the last 'start'. */
const sessionCounts = { hits: 0, established: 0 }

/** The default store (memory), counted: a request the store found a session for was opened without a key agreement. */
function countedSessionStore(): SessionStore {
  const store = new MemorySessionStore()
  return {
    async get(sid) {
      const record = await store.get(sid)
      if (record !== undefined) sessionCounts.hits++
      return record
    },
    async set(sid, record) {
      await store.set(sid, record)
      sessionCounts.established++
    },
    revokeAll: () => store.revokeAll(),
  }
}

async function sealwireServer(): Promise<SealwireServer> {
  // Plain HTTP on loopback: the benchmark measures Sealwire, not TLS.
  const sessions = mode === 'sessions' ? { sessions: { store: countedSessionStore() } } : {}
  const server = createSealwireServer({ keys: [benchJwk() as never], allowInsecureLoopback: true, singleInstance: true, ...sessions })
  await server.ready
  return server
}

/** Listens on 127.0.0.1, port 0; resolves the port. */
function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler)
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

function startExpress(sealwire: SealwireServer | undefined): Promise<number> {
  const app = express()
  if (mode === 'floor') {
    const echo = floorEcho(benchJwk())
    app.post(BENCH_ROUTE, (req, res) => {
      readBody(req, (body) => {
        let sealed: string
        try {
          sealed = echo(body.toString('latin1'))
        } catch {
          res.writeHead(400).end()
          return
        }
        res.writeHead(200, SEALED_HEADERS).end(sealed)
      })
    })
  } else {
    const echo = (req: express.Request, res: express.Response) => void res.json(req.body)
    app.post(BENCH_ROUTE, sealwire === undefined ? express.json() : sealwireExpress(sealwire), echo)
  }
  return listen(app)
}

async function startFastify(sealwire: SealwireServer | undefined): Promise<number> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  const app = Fastify({ serverFactory: (h) => ((handler = h), createServer()) })
  if (mode === 'floor') {
    const echo = floorEcho(benchJwk())
    // Fastify's own hook for a body it does not know: the raw stream, read whole.
    app.addContentTypeParser('application/jose', (_request, payload, done) => readBody(payload, (body) => done(null, body)))
    app.post(BENCH_ROUTE, (request, reply) => {
      let sealed: string
      try {
        sealed = echo((request.body as Buffer).toString('latin1'))
      } catch {
        return reply.code(400).send()
      }
      return reply.headers(SEALED_HEADERS).send(sealed)
    })
  } else {
    if (sealwire !== undefined) await app.register(sealwireFastify, { server: sealwire })
    app.post(BENCH_ROUTE, async (request) => request.body)
  }
  await app.ready()
  return listen((req, res) => handler!(req, res))
}

function startHono(sealwire: SealwireServer | undefined): Promise<number> {
  const app = new Hono<{ Bindings: HttpBindings }>()
  if (mode === 'floor') {
    const echo = floorEcho(benchJwk())
    // On @hono/node-server the Node request is `c.env.incoming`: its stream, read
    // whole, costs less than the web `Request` body, which would wrap it.
    app.post(BENCH_ROUTE, (c) =>
      new Promise<Response>((resolve) =>
        readBody(c.env.incoming, (body) => {
          try {
            resolve(new Response(echo(body.toString('latin1')), { headers: SEALED_HEADERS }))
          } catch {
            resolve(new Response(null, { status: 400 }))
          }
        }),
      ),
    )
  } else {
    app.post(BENCH_ROUTE, async (c) => c.json(await c.req.json()))
  }
  const fetch: (request: Request, env: HttpBindings) => Response | Promise<Response> =
    sealwire === undefined
      ? (request, env) => app.fetch(request, env)
      : withSealwire(sealwire, (request: Request, env: HttpBindings) => app.fetch(request, env), { peer: (_request, env: HttpBindings) => env.incoming.socket.remoteAddress })
  return new Promise((resolve) => {
    const server = serve({ fetch: fetch as Parameters<typeof serve>[0]['fetch'], hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port))
    void server
  })
}

const sealwire = mode === 'sealwire' || mode === 'sessions' ? await sealwireServer() : undefined
const port = await (framework === 'express' ? startExpress(sealwire) : framework === 'fastify' ? startFastify(sealwire) : startHono(sealwire))
process.send?.({ port })

// CPU time and heap allocation around the measured run: both hold per request on
// a busy machine, where req/s depends on what else shares the cores.
let stopCounting: (() => number) | undefined
process.on('message', (command: ServerCommand) => {
  const { user, system } = process.cpuUsage()
  const reading: ServerReading = { cpuMicros: user + system }
  if (command === 'start') {
    stopCounting = countHeapAllocation()
    sessionCounts.hits = 0
    sessionCounts.established = 0
  } else if (command === 'stop' && stopCounting !== undefined) {
    reading.heapBytes = stopCounting()
    stopCounting = undefined
    if (mode === 'sessions') Object.assign(reading, { sessionHits: sessionCounts.hits, sessionsEstablished: sessionCounts.established })
  } else return
  process.send?.(reading)
})
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
