/**
 * Koa specifics beyond the shared matrix: a body parser mounted first, every
 * kind of ctx.body, Koa's own 404, and errors kept for the owner's logs.
 */
import { Readable } from 'node:stream'
import Koa from 'koa'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireKoa } from '@sealwire/server/koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { rawRequest } from './helpers/http.js'
import { expectNothingInClear } from './helpers/clear-text.js'
import { openSealed, seal, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'
import { testCertificate } from './helpers/tls.js'
import { serveNode } from './harness/listen.js'
import { SECRET, type RunningApp } from './harness/spec.js'

let keys: TestKeys
let ca: string
let server: SealwireServer
const apps: RunningApp[] = []

beforeAll(async () => {
  keys = await testKeys()
  ca = (await testCertificate()).cert
  server = createSealwireServer({ keys: keys.ring })
})
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
})

async function serve(app: Koa): Promise<string> {
  const running = await serveNode(app.callback())
  apps.push(running)
  return running.secureUrl
}
const sealPost = (target: string, body: unknown) => seal({ recipient: keys.recipients.X25519, method: 'POST', target, body })

it('a body parser that ran first is reported with the order to use', async () => {
  const app = new Koa()
  const errors: string[] = []
  app.on('error', (err: Error) => errors.push(err.message))
  // What @koa/bodyparser does: read the stream, set ctx.request.body.
  app.use(async (ctx, next) => {
    const chunks: Buffer[] = []
    for await (const c of ctx.req) chunks.push(c as Buffer)
    ;(ctx.request as { body?: unknown }).body = Buffer.concat(chunks).toString('utf8')
    await next()
  })
  app.use(sealwireKoa(server))
  app.use((ctx) => {
    ctx.body = 'reached'
  })
  const url = await serve(app)
  const sealed = await sealPost('/x', 1)
  const res = await sendSealed(url, 'POST', '/x', sealed, { ca })
  expect(res.status).toBe(500)
  expect(res.body).not.toContain('reached')
  expect(errors).toEqual([expect.stringMatching(/Mount sealwireKoa\(\) before any body parser/)])
})

describe('every ctx.body is sealed', () => {
  let url: string
  const errors: Error[] = []
  beforeAll(async () => {
    const app = new Koa()
    app.on('error', (err: Error) => errors.push(err))
    app.use(sealwireKoa(server))
    app.use(async (ctx) => {
      switch (ctx.path) {
        case '/stream':
          ctx.type = 'text/plain'
          ctx.body = Readable.from(['streamed ', 'in ', 'parts'])
          return
        case '/buffer':
          ctx.body = Buffer.from([0, 1, 2, 255])
          return
        case '/text':
          ctx.body = 'plain text'
          return
        case '/throw':
          throw new Error(SECRET)
        case '/throw-404':
          ctx.throw(404)
          return
        case '/throw-401':
          ctx.throw(401, 'Sign in first', { headers: { 'WWW-Authenticate': 'Bearer realm="api"' } })
          return
        case '/throw-403-hidden':
          ctx.throw(403, SECRET, { expose: false })
          return
        case '/reason':
          ctx.status = 409
          ctx.message = `conflict with ${SECRET}`
          ctx.body = { sealed: true }
          return
        case '/raw-reason':
          ctx.body = { sealed: true }
          ctx.res.statusMessage = SECRET
          return
        case '/attachment':
          ctx.attachment(`${SECRET}.pdf`)
          ctx.body = 'file'
          return
        case '/bypass':
          ctx.respond = false
          ctx.res.end(SECRET)
          return
        case '/re-route':
          ctx.method = 'DELETE' // what a method-override middleware does
          ctx.body = { rerouted: true }
          return
        default:
        // nothing: Koa's 404
      }
    })
    url = await serve(app)
  })

  it('a Node stream, read to the end', async () => {
    const sealed = await sealPost('/stream', null)
    const opened = await openSealed(await sendSealed(url, 'POST', '/stream', sealed, { ca }), sealed)
    expect([opened.status, opened.contentType, opened.text]).toEqual([200, 'text/plain; charset=utf-8', 'streamed in parts'])
  })

  it('a Buffer, byte for byte', async () => {
    const sealed = await sealPost('/buffer', null)
    const res = await sendSealed(url, 'POST', '/buffer', sealed, { ca })
    const { openResponse } = await import('@sealwire/core')
    const opened = await openResponse(res.body, { reply: sealed.reply, status: res.status })
    expect([...opened.body]).toEqual([0, 1, 2, 255])
    expect(opened.contentType).toBe('application/octet-stream')
  })

  it("Koa's own 404 for an unmatched route is sealed too", async () => {
    const sealed = await sealPost('/nowhere', null)
    const opened = await openSealed(await sendSealed(url, 'POST', '/nowhere', sealed, { ca }), sealed)
    expect([opened.status, opened.text]).toEqual([404, 'Not Found'])
  })

  it('ctx.throw(404) and ctx.throw(401, message): the 4xx status, the exposed message and its headers, sealed (issue 9, item 10)', async () => {
    const notFound = await sealPost('/throw-404', null)
    const opened404 = await openSealed(await sendSealed(url, 'POST', '/throw-404', notFound, { ca }), notFound)
    expect([opened404.status, opened404.text]).toEqual([404, 'Not Found'])
    const unauthorized = await sealPost('/throw-401', null)
    const res401 = await sendSealed(url, 'POST', '/throw-401', unauthorized, { ca })
    expect(res401.status).toBe(401)
    expect(res401.headers['www-authenticate']).toBe('Bearer realm="api"')
    const opened401 = await openSealed(res401, unauthorized)
    expect([opened401.status, opened401.contentType, opened401.text]).toEqual([401, 'text/plain; charset=utf-8', 'Sign in first'])
  })

  it('a 4xx whose message is not exposed: the reason phrase only', async () => {
    const sealed = await sealPost('/throw-403-hidden', null)
    const res = await sendSealed(url, 'POST', '/throw-403-hidden', sealed, { ca })
    const opened = await openSealed(res, sealed)
    expect([opened.status, opened.text]).toEqual([403, 'Forbidden'])
    expect(res.body + opened.text + JSON.stringify(res.headers)).not.toContain(SECRET)
  })

  it('nothing in clear beside the envelope: the reason phrase is the standard one, no Content-Disposition (issue 9, item 5)', async () => {
    for (const path of ['/reason', '/raw-reason', '/attachment']) {
      const sealed = await sealPost(path, null)
      expectNothingInClear(await sendSealed(url, 'POST', path, sealed, { ca }), SECRET)
    }
  })

  it('ctx.respond = false (writing to ctx.res past the sealing) throws: the sealed 500, nothing in clear', async () => {
    errors.length = 0
    const sealed = await sealPost('/bypass', null)
    const res = await sendSealed(url, 'POST', '/bypass', sealed, { ca })
    expect(res.body).not.toContain(SECRET)
    const opened = await openSealed<{ code: string }>(res, sealed)
    expect([opened.status, opened.json.code]).toEqual([500, 'internal_error'])
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/ctx\.respond = false/)])
  })

  it('a middleware that changes ctx.method: sealed binding_mismatch instead of the handler output (issue 9, item 1)', async () => {
    const sealed = await sealPost('/re-route', null)
    const res = await sendSealed(url, 'POST', '/re-route', sealed, { ca })
    const opened = await openSealed<{ code: string }>(res, sealed)
    expect([opened.status, opened.json.code]).toEqual([400, 'binding_mismatch'])
  })

  it('a thrown error: sealed generic 500 for the client, the error itself for app.on("error")', async () => {
    errors.length = 0
    const sealed = await sealPost('/throw', null)
    const res = await sendSealed(url, 'POST', '/throw', sealed, { ca })
    const opened = await openSealed<{ code: string }>(res, sealed)
    expect([opened.status, opened.json.code]).toEqual([500, 'internal_error'])
    expect(res.body + opened.text).not.toContain(SECRET)
    expect(errors.map((e) => e.message)).toEqual([SECRET])
  })
})

it('per-route middleware alone applies its schema; other routes stay plain', async () => {
  const app = new Koa()
  const guarded = sealwireKoa(server, { schema: z.object({ n: z.number() }) })
  app.use(async (ctx, next) => {
    if (ctx.path !== '/guarded') {
      ctx.body = { public: true }
      return
    }
    await guarded(ctx as Parameters<typeof guarded>[0], async () => {
      ctx.body = { n: (ctx.request as unknown as { body: { n: number } }).body.n + 1 }
    })
    await next()
  })
  const url = await serve(app)
  const ok = await sealPost('/guarded', { n: 1 })
  expect((await openSealed(await sendSealed(url, 'POST', '/guarded', ok, { ca }), ok)).json).toEqual({ n: 2 })
  const bad = await sealPost('/guarded', { n: 'one' })
  const refused = await openSealed<{ code: string }>(await sendSealed(url, 'POST', '/guarded', bad, { ca }), bad)
  expect([refused.status, refused.json.code]).toEqual([422, 'invalid_payload'])
  expect(JSON.parse((await rawRequest(`${url}/other`, { ca })).body)).toEqual({ public: true })
})
