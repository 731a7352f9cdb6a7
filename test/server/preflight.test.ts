/**
 * CORS preflights on the Node adapters (docs/PROTOCOL.md §5.1): a preflight no
 * CORS layer in front answered is answered by Sealwire, 204 with no
 * Access-Control-* header of its own, and never reaches a handler registered
 * for every method (Express `app.all`, a Koa catch-all, Fastify `app.all`).
 * A pass-through CORS layer in front keeps its headers on that 204.
 */
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireFastify } from '@sealwire/server/fastify'
import { sealwireKoa } from '@sealwire/server/koa'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveNode } from './harness/listen.js'
import type { RunningApp } from './harness/spec.js'
import { rawRequest } from './helpers/http.js'
import { testKeys } from './helpers/sealing.js'

const APP_ORIGIN = 'https://app.test'
let server: SealwireServer
const running: RunningApp[] = []

beforeAll(async () => {
  server = createSealwireServer({ keys: (await testKeys()).ring, requireTls: false })
})
afterAll(async () => {
  await Promise.all(running.map((a) => a.close()))
})

/** An app with an all-method handler that records every call; `cors` adds a pass-through CORS layer in front. */
type Start = (sideEffects: string[], cors: boolean) => Promise<RunningApp>

const apps: Array<[string, Start]> = [
  [
    'express app.all',
    (sideEffects, cors) => {
      const app = express()
      if (cors) {
        app.use((_req, res, next) => {
          res.set('access-control-allow-origin', APP_ORIGIN)
          next()
        })
      }
      app.use(sealwireExpress(server))
      app.all('/api/users', (req, res) => {
        sideEffects.push(req.method)
        res.json({ deleted: true })
      })
      return serveNode(app)
    },
  ],
  [
    'koa catch-all',
    (sideEffects, cors) => {
      const app = new Koa()
      if (cors) {
        app.use(async (ctx, next) => {
          ctx.set('access-control-allow-origin', APP_ORIGIN)
          await next()
        })
      }
      app.use(sealwireKoa(server))
      app.use((ctx) => {
        sideEffects.push(ctx.method)
        ctx.body = { deleted: true }
      })
      return serveNode(app.callback())
    },
  ],
  [
    'fastify app.all',
    async (sideEffects, cors) => {
      const app = Fastify()
      if (cors) {
        app.addHook('onRequest', async (_request, reply) => {
          reply.header('access-control-allow-origin', APP_ORIGIN)
        })
      }
      await app.register(sealwireFastify, { server })
      app.all('/api/users', async (request) => {
        sideEffects.push(request.method)
        return { deleted: true }
      })
      await app.ready()
      const listening = await serveNode((req, res) => app.routing(req, res))
      return { ...listening, close: async () => (await listening.close(), await app.close()) }
    },
  ],
]

const preflight = (app: RunningApp) =>
  rawRequest(`${app.plainUrl}/api/users`, { method: 'OPTIONS', headers: { origin: APP_ORIGIN, 'access-control-request-method': 'DELETE' } })
const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((name) => name.startsWith('access-control-'))

describe.each(apps)('%s', (_name, start) => {
  it('a preflight nothing answered: 204, no Access-Control-*, no body, and the handler never runs', async () => {
    const sideEffects: string[] = []
    const app = await start(sideEffects, false)
    running.push(app)
    const res = await preflight(app)
    expect({ status: res.status, body: res.body, cors: corsHeaders(res.headers) }).toEqual({ status: 204, body: '', cors: [] })
    expect(sideEffects).toEqual([])
  })

  it('a pass-through CORS layer in front keeps its headers on the 204; the handler still never runs', async () => {
    const sideEffects: string[] = []
    const app = await start(sideEffects, true)
    running.push(app)
    const res = await preflight(app)
    expect(res.status).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN)
    expect(sideEffects).toEqual([])
  })
})
