/**
 * Fastify specifics beyond the shared matrix: plugin scope, Fastify's own
 * body schema on the decrypted body, stream payloads, and handlers that send
 * without returning the reply.
 */
import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import Fastify4 from 'fastify4'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireFastify } from '@sealwire/server/fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { expectNothingInClear } from './helpers/clear-text.js'
import { rawRequest } from './helpers/http.js'
import { openSealed, seal, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'
import { SECRET } from './harness/spec.js'

let keys: TestKeys
let server: SealwireServer
let app: FastifyInstance
let url: string

beforeAll(async () => {
  keys = await testKeys()
  // Plain HTTP on loopback, allowed for development: this file is about Fastify, not TLS.
  server = createSealwireServer({ keys: keys.ring, allowInsecureLoopback: true })
  app = Fastify()
  app.get('/public', async () => ({ public: true }))
  await app.register(async (api) => {
    await api.register(sealwireFastify, { server })
    api.post('/api/validated', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async (request) => request.body)
    api.post('/api/stream', async (_request, reply) => {
      reply.type('text/plain')
      return reply.send(Readable.from(['a', 'b', 'c']))
    })
    api.post('/api/no-return', async (_request, reply) => {
      reply.code(201).send({ sent: 'without return' })
    })
    api.post('/api/config', { config: { sealwire: { schema: z.object({ ok: z.literal(true) }) } } }, async (request) => request.body)
  })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await app.close()
})

const sealPost = (target: string, body: unknown) => seal({ recipient: keys.recipients['P-256'], method: 'POST', target, body })

it('applies to the scope it is registered in only', async () => {
  expect(JSON.parse((await rawRequest(`${url}/public`)).body)).toEqual({ public: true })
  const res = await rawRequest(`${url}/api/validated`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' })
  expect([res.status, JSON.parse(res.body).code]).toEqual([415, 'unsupported_media_type'])
})

it("Fastify's own body schema validates the decrypted body; its 400 is sealed", async () => {
  const ok = await sealPost('/api/validated', { name: 'ada' })
  expect((await openSealed(await sendSealed(url, 'POST', '/api/validated', ok), ok)).json).toEqual({ name: 'ada' })
  const bad = await sealPost('/api/validated', { nom: 'ada' })
  const opened = await openSealed<{ statusCode: number }>(await sendSealed(url, 'POST', '/api/validated', bad), bad)
  expect(opened.status).toBe(400)
})

it('a stream payload is read whole and sealed', async () => {
  const sealed = await sealPost('/api/stream', null)
  const opened = await openSealed(await sendSealed(url, 'POST', '/api/stream', sealed), sealed)
  expect([opened.text, opened.contentType]).toEqual(['abc', 'text/plain'])
})

it('an async handler that sends without `return reply` is still sealed', async () => {
  const sealed = await sealPost('/api/no-return', null)
  const res = await sendSealed(url, 'POST', '/api/no-return', sealed)
  const opened = await openSealed(res, sealed)
  expect([opened.status, opened.json]).toEqual([201, { sent: 'without return' }])
})

it('a schema in the route config, without the helper', async () => {
  const bad = await sealPost('/api/config', { ok: false })
  const opened = await openSealed<{ code: string }>(await sendSealed(url, 'POST', '/api/config', bad), bad)
  expect([opened.status, opened.json.code]).toEqual([422, 'invalid_payload'])
})

it('registers in several scopes side by side', async () => {
  const other = Fastify()
  await other.register(async (a) => {
    await a.register(sealwireFastify, { server })
    a.post('/a', async () => 'a')
  })
  await other.register(async (b) => {
    await b.register(sealwireFastify, { server })
    b.post('/b', async () => 'b')
  })
  await other.ready()
  const res = await other.inject({ method: 'GET', url: '/.well-known/sealwire/jwks.json' })
  expect(res.statusCode).toBe(200)
  await other.close()
})

for (const [name, make] of [
  ['Fastify 5', Fastify],
  ['Fastify 4', Fastify4],
] as const) {
  it(`${name}: an onSend hook after the plugin that throws: a sealed 500, never Fastify's last-resort error reply in clear`, async () => {
    // Fastify answers an error thrown in onSend with its fallback error reply, written straight to the socket past every
    // onSend hook, the error's message included. The request was opened: the client gets its sealed 500 instead.
    const other = (make as typeof Fastify)({ logger: false })
    await other.register(sealwireFastify, { server })
    other.addHook('onSend', async () => {
      throw new Error(SECRET)
    })
    other.post('/api/echo', async (request) => request.body)
    const base = await other.listen({ port: 0, host: '127.0.0.1' })
    try {
      const sealed = await sealPost('/api/echo', { note: SECRET })
      const res = await sendSealed(base, 'POST', '/api/echo', sealed)
      expectNothingInClear(res, SECRET)
      const opened = await openSealed<{ code: string }>(res, sealed)
      expect([opened.status, opened.json.code]).toEqual([500, 'internal_error'])
    } finally {
      await other.close()
    }
  })
}

it('an onSend hook after the plugin that takes time, and a handler that sends without returning the reply: its own sealed answer', async () => {
  // Fastify then runs the onSend hooks a second time while the first send is still in the slow hook: the second
  // pass must not be taken for an error (the answer stays the app's, sealed). Fastify 5 only: Fastify 4 then writes
  // the reply twice, and its second writeHead rejects unhandled (ERR_HTTP_HEADERS_SENT) with or without Sealwire.
  {
    const other = Fastify({ logger: false })
    await other.register(sealwireFastify, { server })
    other.addHook('onSend', async (_request, _reply, payload) => {
      await new Promise((resolve) => setTimeout(resolve, 30))
      return payload
    })
    other.post('/api/no-return', async (_request, reply) => {
      reply.send({ sent: 'without return' })
    })
    const base = await other.listen({ port: 0, host: '127.0.0.1' })
    try {
      const sealed = await sealPost('/api/no-return', null)
      const opened = await openSealed(await sendSealed(base, 'POST', '/api/no-return', sealed), sealed)
      expect([opened.status, opened.json]).toEqual([200, { sent: 'without return' }])
    } finally {
      await other.close()
    }
  }
})

it('serves the JWK Set', async () => {
  const res = await rawRequest(`${url}/.well-known/sealwire/jwks.json`)
  expect(res.status).toBe(200)
  expect(res.headers['content-type']).toBe('application/jwk-set+json')
  expect((JSON.parse(res.body) as { keys: unknown[] }).keys).toHaveLength(2)
})

describe('hardening (issue 9)', () => {
  let hardened: FastifyInstance
  let base: string
  beforeAll(async () => {
    hardened = Fastify({ logger: false })
    await hardened.register(sealwireFastify, { server })
    hardened.post('/hijack', async (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'application/json' })
      reply.raw.end(JSON.stringify({ secret: SECRET }))
    })
    hardened.post('/raw-reason', async (_request, reply) => {
      reply.raw.statusMessage = `Conflict with ${SECRET}`
      reply.code(409)
      return { sealed: true }
    })
    hardened.post('/attachment', async (_request, reply) => {
      reply.header('content-disposition', `attachment; filename="${SECRET}.pdf"`)
      return 'file'
    })
    hardened.post('/raw-headers', async (_request, reply) => {
      // Set on the Node response directly, past Fastify's own header map.
      reply.raw.setHeader('content-disposition', `attachment; filename="${SECRET}.pdf"`)
      reply.raw.setHeader('etag', `"${SECRET}"`)
      return 'file'
    })
    base = await hardened.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await hardened.close()
  })

  it('item 11: reply.hijack() is refused loudly: a sealed 500, never the decrypted data in clear', async () => {
    const sealed = await sealPost('/hijack', { card: '4111' })
    const res = await sendSealed(base, 'POST', '/hijack', sealed)
    expect(res.body).not.toContain(SECRET)
    const opened = await openSealed<{ code: string }>(res, sealed)
    expect([opened.status, opened.json.code]).toEqual([500, 'internal_error'])
  })

  it('item 5: a reason phrase set on reply.raw and Content-Disposition never travel in clear', async () => {
    for (const path of ['/raw-reason', '/attachment', '/raw-headers']) {
      const sealed = await sealPost(path, null)
      expectNothingInClear(await sendSealed(base, 'POST', path, sealed), SECRET)
    }
  })
})
