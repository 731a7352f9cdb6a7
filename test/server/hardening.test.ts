/**
 * Hardening from the outside review (issue 9), against every adapter over real
 * HTTP(S) on loopback, with the shared harnesses: method-override headers
 * (item 1), CORS preflights without a CORS layer (item 4), forwarded requests
 * and the loopback exemption (item 12), bounded route labels in events (item 15).
 * Adapter-specific parts live in each adapter's own test file.
 */
import type { SealedRequest } from '@sealwire/core'
import { createSealwireServer, type SealwireEvent, type SealwireServerOptions } from '@sealwire/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest, type RawResponse } from './helpers/http.js'
import { openSealed, plainProblem, seal, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'
import { testCertificate } from './helpers/tls.js'
import { express4Harness, expressHarness } from './harness/express.js'
import { fastify4Harness, fastifyHarness } from './harness/fastify.js'
import { fetchHarness } from './harness/fetch.js'
import { koa2Harness, koaHarness } from './harness/koa.js'
import { lambdaHarness } from './harness/lambda.js'
import type { AdapterHarness, RunningApp } from './harness/spec.js'

// Every adapter, on each supported major of its framework.
const harnesses: AdapterHarness[] = [expressHarness, express4Harness, koaHarness, koa2Harness, fastifyHarness, fastify4Harness, fetchHarness, lambdaHarness]

/** The headers method-override middlewares read (Express's method-override, Hono's methodOverride, Rails, Google APIs). */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override']

describe.each(harnesses)('$name adapter: hardening', (harness) => {
  let keys: TestKeys
  let ca: string
  let main: RunningApp
  const events: SealwireEvent[] = []
  const apps: RunningApp[] = []

  const start = async (options: Partial<SealwireServerOptions> = {}): Promise<RunningApp> => {
    const app = await harness.start(createSealwireServer({ keys: keys.ring, singleInstance: true, ...options }))
    apps.push(app)
    return app
  }
  beforeAll(async () => {
    keys = await testKeys()
    ca = (await testCertificate()).cert
    main = await start({ onEvent: (e) => events.push(e) })
  })
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()))
  })

  const sealFor = (method: string, target: string, body?: unknown) => seal({ recipient: keys.recipients['P-256'], method, target, body })
  const send = (base: string, method: string, target: string, sealed: SealedRequest, headers?: Record<string, string>) =>
    sendSealed(base, method, target, sealed, { ca, ...(headers ? { headers } : {}) })
  const accepted = async (res: RawResponse, sealed: SealedRequest) => (await openSealed(res, sealed)).status

  describe('method override (item 1)', () => {
    for (const header of OVERRIDE_HEADERS) {
      it(`${header} naming another method: sealed binding_mismatch (400), handler not reached, jti unused`, async () => {
        const sealed = await sealFor('POST', '/echo', { a: 1 })
        const res = await send(main.secureUrl, 'POST', '/echo', sealed, { [header]: 'DELETE' })
        expect(res.status).toBe(400)
        const opened = await openSealed<{ code: string; echo?: unknown }>(res, sealed)
        expect(opened.json.code).toBe('binding_mismatch')
        expect(opened.json.echo).toBeUndefined()
        // Refused before the replay store was consulted: the victim's own request still goes through.
        expect(await accepted(await send(main.secureUrl, 'POST', '/echo', sealed), sealed)).toBe(200)
      })
    }

    it('an override naming the request method itself is harmless, and no handler sees the header', async () => {
      const sealed = await sealFor('POST', '/headers', { a: 1 })
      const headers = Object.fromEntries(OVERRIDE_HEADERS.map((h) => [h, 'post']))
      const opened = await openSealed<{ headers: Record<string, string> }>(await send(main.secureUrl, 'POST', '/headers', sealed, headers), sealed)
      expect(opened.status).toBe(200)
      for (const h of OVERRIDE_HEADERS) expect(opened.json.headers, h).not.toHaveProperty(h)
    })
  })

  describe('CORS preflight without a CORS layer (item 4)', () => {
    it('an OPTIONS preflight never reaches the app, not even an all-method route: 204, no Access-Control-*, no body', async () => {
      for (const path of ['/echo', '/headers']) {
        const res = await rawRequest(`${main.secureUrl}${path}`, {
          method: 'OPTIONS',
          headers: { origin: 'https://app.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
          ca,
        })
        expect(res.status, path).toBe(204)
        expect(res.body, path).toBe('')
        expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-')), path).toEqual([])
      }
    })
  })

  // Skipped on Lambda: its front door adds forwarding headers itself and no loopback exemption applies there.
  describe.runIf(harness.trustsProxies)('allowInsecureLoopback and forwarded requests (item 12)', () => {
    const FORWARDING: Record<string, string>[] = [{ 'x-forwarded-proto': 'http' }, { 'x-forwarded-proto': 'https' }, { 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9;proto=http' }, { via: '1.1 proxy' }]
    for (const headers of FORWARDING) {
      it(`plain HTTP from loopback with ${JSON.stringify(headers)}: forwarded, so never exempt`, async () => {
        const app = await start({ allowInsecureLoopback: true })
        const sealed = await sealFor('POST', '/echo', { a: 1 })
        const res = await send(app.plainUrl, 'POST', '/echo', sealed, headers)
        expect(res.status).toBe(403)
        expect(plainProblem(res).code).toBe('insecure_transport')
        // The same request straight from this machine is exempt (and its jti was left unused).
        expect(await accepted(await send(app.plainUrl, 'POST', '/echo', sealed), sealed)).toBe(200)
      })
    }
  })

  describe('route labels in events (item 15)', () => {
    it('never the raw path: a template where the framework knows it, otherwise a bounded label', async () => {
      events.length = 0
      const noise = `/no-such-route-${'x'.repeat(4000)}-${Math.random().toString(36).slice(2)}`
      await rawRequest(main.secureUrl + noise, { ca }) // refused: no envelope
      const unknown = await sealFor('POST', noise, { a: 1 })
      await send(main.secureUrl, 'POST', noise, unknown) // accepted or a sealed 404, depending on the framework
      const sealed = await sealFor('DELETE', '/items/8163')
      await send(main.secureUrl, 'DELETE', '/items/8163', sealed)
      expect(events.length).toBeGreaterThanOrEqual(3)
      for (const e of events) {
        expect(e.route).not.toContain('no-such-route')
        expect(e.route).not.toContain('8163')
        expect(e.route.length).toBeLessThanOrEqual(256)
      }
    })
  })
})
