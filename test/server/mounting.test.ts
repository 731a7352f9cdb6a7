/**
 * How the Express and Koa middleware may be mounted: one engine per request
 * path (a route-level middleware built on another engine than the app-wide one
 * refuses the request rather than skip its own checks), and route labels that
 * stay templates under a router mounted at a parameterised path. Real HTTP.
 */
import { createSealwireServer, type SealwireEvent, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireKoa } from '@sealwire/server/koa'
import express from 'express'
import Koa from 'koa'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { serveNode } from './harness/listen.js'
import type { RunningApp } from './harness/spec.js'
import { openSealed, seal, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'

let keys: TestKeys
let other: TestKeys
const apps: RunningApp[] = []

beforeAll(async () => {
  keys = await testKeys()
  other = await testKeys()
})
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
})
afterEach(() => {
  vi.restoreAllMocks()
})

async function serve(listener: Parameters<typeof serveNode>[0]): Promise<string> {
  const running = await serveNode(listener)
  apps.push(running)
  return running.plainUrl
}

const engine = (ring: TestKeys['ring'], events: SealwireEvent[]): SealwireServer => createSealwireServer({ keys: ring, requireTls: false, onEvent: (e) => events.push(e) })

describe('a second engine behind an app-wide one', () => {
  const apps: Array<[string, (appWide: SealwireServer, routeLevel: SealwireServer, ran: string[]) => Promise<string>]> = [
    [
      'express',
      (appWide, routeLevel, ran) => {
        const app = express()
        app.use(sealwireExpress(appWide))
        app.post('/admin', sealwireExpress(routeLevel), (_req, res) => {
          ran.push('admin handler')
          res.json({ ok: true })
        })
        return serve(app)
      },
    ],
    [
      'koa',
      (appWide, routeLevel, ran) => {
        const app = new Koa()
        const admin = sealwireKoa(routeLevel)
        app.use(sealwireKoa(appWide))
        app.use(async (ctx, next) => (ctx.path === '/admin' ? admin(ctx as Parameters<typeof admin>[0], next) : next()))
        app.use((ctx) => {
          ran.push('admin handler')
          ctx.body = { ok: true }
        })
        return serve(app.callback())
      },
    ],
  ]

  it.each(apps)('%s: answers a sealed 500 internal_error, never runs the handler, and says how to mount once', async (_name, start) => {
    const events: SealwireEvent[] = []
    const ran: string[] = []
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    // The route-level engine holds other keys (and could hold other origins, freshness, replay store): none would apply.
    const url = await start(engine(keys.ring, events), engine(other.ring, events), ran)
    for (let i = 0; i < 2; i++) {
      const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/admin', body: { i } })
      const opened = await openSealed<{ code?: string }>(await sendSealed(url, 'POST', '/admin', sealed), sealed)
      expect(opened).toMatchObject({ status: 500, json: { code: 'internal_error' } })
    }
    expect(ran).toEqual([])
    expect(events.map((e) => e.code)).toEqual(['internal_error', 'internal_error'])
    expect(logged).toHaveBeenCalledTimes(1)
    expect(String(logged.mock.calls[0]![0])).toMatch(/Mount one engine per request path/)
  })
})

describe('route labels under a router mounted at a parameterised path (Express)', () => {
  it('two tenants give one label, never a tenant id', async () => {
    const events: SealwireEvent[] = []
    const server = engine(keys.ring, events)
    const app = express()
    const tenant = express.Router({ mergeParams: true })
    tenant.post('/orders/:id', (req, res) => {
      res.json({ tenant: (req.params as Record<string, string>).tid })
    })
    app.use(sealwireExpress(server))
    app.use('/tenants/:tid', tenant)
    const url = await serve(app)
    for (const target of ['/tenants/42/orders/7', '/tenants/43/orders/8']) {
      const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target, body: {} })
      expect((await openSealed(await sendSealed(url, 'POST', target, sealed), sealed)).status).toBe(200)
    }
    const labels = new Set(events.map((e) => e.route))
    expect(labels.size).toBe(1)
    expect([...labels][0]).not.toMatch(/4[23]|[78]$/)
    expect([...labels][0]).toBe('*/orders/:id')
  })
})
