/**
 * The outside review of the sealed head, kept as regression tests: each attack
 * as it was mounted, asserting that it now fails.
 *
 * - a sealed field that a proxy in front asserts (a client certificate, a user
 *   name, a client address) is refused unless the server lists it;
 * - a clear Location / WWW-Authenticate / Retry-After added beside a sealed
 *   answer never reaches the application;
 * - the handler sees exactly the sealed query (Express 4, Fastify with the
 *   app's parser) and cookies where the platform puts them (Lambda 2.0);
 * - a store made after another in the same process never dates from the process start;
 * - a too-deep body beside a sealed head is `invalid_payload`, and a bad head counts as a failure.
 */
import { createClient } from '@sealwire/client'
import { KeyRing, MemoryReplayStore, generateKeyPair, importRecipientKey, openRequest, openResponse, sealRequest } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireFastify } from '@sealwire/server/fastify'
import { sealwireKoa } from '@sealwire/server/koa'
import { sealwireLambda, type LambdaHttpEvent } from '@sealwire/server/lambda'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Koa from 'koa'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpApiEvent } from './harness/lambda.js'
import { serveNode } from './harness/listen.js'
import { openSealed, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'
import { testCertificate } from './helpers/tls.js'

/** Fields that TLS terminators and authenticating proxies set, strip from clients, and applications trust. */
const PROXY_ASSERTED: Array<[string, string]> = [
  ['x-forwarded-client-cert', 'By=spiffe://mesh/ns/api;Subject="CN=admin"'],
  ['x-forwarded-tls-client-cert', 'MIIB-forged'],
  ['x-forwarded-user', 'admin'],
  ['x-forwarded-email', 'admin@corp.example'],
  ['x-forwarded-prefix', '/admin'],
  ['x-original-url', '/admin/delete-all'],
  ['x-rewrite-url', '/admin/delete-all'],
  ['true-client-ip', '10.0.0.1'],
  ['cf-connecting-ip', '10.0.0.1'],
  ['x-client-ip', '10.0.0.1'],
  ['x-amzn-oidc-identity', 'admin'],
  ['remote-user', 'admin'],
  ['x-ssl-client-verify', 'SUCCESS'],
]

let keys: TestKeys
let ca: string
beforeAll(async () => {
  keys = await testKeys()
  ca = (await testCertificate()).cert
})

describe('proxy-asserted fields smuggled inside the envelope', () => {
  let expressApp: Awaited<ReturnType<typeof serveNode>>
  let koaApp: Awaited<ReturnType<typeof serveNode>>
  beforeAll(async () => {
    const server = createSealwireServer({ keys: keys.ring, sealedRequestHeaders: ['x-tenant-id'] })
    const e = express()
    e.use(sealwireExpress(server))
    e.all('/whoami', (req, res) => res.json({ headers: req.headers }))
    expressApp = await serveNode(e)
    const k = new Koa({ proxy: true, proxyIpHeader: 'True-Client-IP' })
    k.use(sealwireKoa(server))
    k.use(async (ctx) => {
      ctx.body = { ip: ctx.ip, user: ctx.get('x-forwarded-user') }
    })
    koaApp = await serveNode(k.callback())
  })
  afterAll(async () => {
    await expressApp?.close()
    await koaApp?.close()
  })

  it('each one is refused, sealed, as invalid_sealed_head, on Express and Koa', async () => {
    for (const field of PROXY_ASSERTED) {
      for (const [app, path] of [[expressApp, '/whoami'], [koaApp, '/x']] as const) {
        const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: path }, head: { headers: [field] } }).catch(() => undefined)
        // The client refuses the never-sealed kinds itself; the others are sent as an attacker would.
        if (sealed === undefined) continue
        const opened = await openSealed<{ code: string; detail?: string }>(await sendSealed(app.secureUrl, 'GET', path, sealed, { ca }), sealed)
        expect([field[0], opened.status, opened.json.code]).toEqual([field[0], 400, 'invalid_sealed_head'])
      }
    }
  })

  it('a field the server lists (sealedRequestHeaders) is restored; the refusal of another names that option', async () => {
    const ok = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/whoami' }, head: { headers: [['x-tenant-id', 't-42']] } })
    const opened = await openSealed<{ headers: Record<string, string> }>(await sendSealed(expressApp.secureUrl, 'GET', '/whoami', ok, { ca }), ok)
    expect(opened.json.headers['x-tenant-id']).toBe('t-42')
    const other = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/whoami' }, head: { headers: [['x-region', 'eu']] } })
    const refused = await openSealed<{ code: string; detail: string }>(await sendSealed(expressApp.secureUrl, 'GET', '/whoami', other, { ca }), other)
    expect(refused.json).toMatchObject({ code: 'invalid_sealed_head' })
    expect(refused.json.detail).toMatch(/sealedRequestHeaders/)
  })
})

describe('clear response fields injected beside a sealed answer', () => {
  it('never reach the application: only the sealed ones are kept', async () => {
    const server = createSealwireServer({ keys: keys.ring, requireTls: false, singleInstance: true })
    let sealedLocation: string | undefined
    const handler = () => new Response(null, { status: 302, headers: sealedLocation === undefined ? {} : { location: sealedLocation } })
    const mitmFetch: typeof fetch = async (input, init) => {
      const genuine = await server.handle(new Request(input as string, init), handler)
      const headers = new Headers(genuine.headers)
      headers.set('location', 'https://evil.example/phish')
      headers.set('retry-after', '999999')
      headers.set('www-authenticate', 'Basic realm="re-enter your password"')
      headers.set('refresh', '0; url=https://evil.example/')
      headers.set('link', '<https://evil.example/next>; rel="next"')
      return new Response(await genuine.arrayBuffer(), { status: genuine.status, headers })
    }
    const api = createClient({ baseUrl: 'https://api.example.com', keys: keys.ring.publicJwks(), fetch: mitmFetch })
    // With and without anything to seal in the request: the server seals its fields for both.
    for (const init of [{ headers: { authorization: 'Bearer t' } }, {}]) {
      const res = await api.fetch('/api/me', init)
      expect(res.status).toBe(302)
      for (const name of ['location', 'retry-after', 'www-authenticate', 'refresh', 'link']) expect(res.headers.get(name), name).toBeNull()
    }
    sealedLocation = '/api/next'
    expect((await api.fetch('/api/me')).headers.get('location')).toBe('/api/next')
  })
})

describe('the handler sees exactly what was sealed', () => {
  it('Express 4: req.query is the sealed query, parsed by the app', async () => {
    const server = createSealwireServer({ keys: keys.ring })
    const app = (express4 as unknown as () => import('express').Express)()
    app.use(sealwireExpress(server))
    app.get('/search', (req, res) => res.json({ query: req.query, url: req.url }))
    const running = await serveNode(app)
    try {
      const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/search' }, head: { query: 'q=secret&role=admin' } })
      const opened = await openSealed<{ query: unknown; url: string }>(await sendSealed(running.secureUrl, 'GET', '/search', sealed, { ca }), sealed)
      expect(opened.json).toEqual({ query: { q: 'secret', role: 'admin' }, url: '/search?q=secret&role=admin' })
    } finally {
      await running.close()
    }
  })

  it("Fastify: the sealed query goes through the parser the app gives the plugin", async () => {
    const server = createSealwireServer({ keys: keys.ring })
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
    const querystringParser = (s: string) => ({ parsedBy: 'app', raw: s })
    const app = Fastify({ serverFactory: (h) => ((handler = h), createServer()), querystringParser })
    await app.register(sealwireFastify, { server, querystringParser })
    app.get('/search', async (request) => ({ query: request.query }))
    await app.ready()
    const running = await serveNode((req, res) => handler!(req, res))
    try {
      const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/search' }, head: { query: 'a[b]=1&a[c]=2' } })
      const opened = await openSealed<{ query: unknown }>(await sendSealed(running.secureUrl, 'GET', '/search', sealed, { ca }), sealed)
      expect(opened.json.query).toEqual({ parsedBy: 'app', raw: 'a[b]=1&a[c]=2' })
    } finally {
      await running.close()
      await app.close()
    }
  })

  const lambdaEvent = (envelope: string, cookies?: string[]): LambdaHttpEvent => {
    const template = httpApiEvent()
    return {
      ...template,
      routeKey: '$default',
      rawPath: '/me',
      rawQueryString: '',
      ...(cookies === undefined ? {} : { cookies }),
      headers: { host: template.requestContext.domainName, 'x-forwarded-proto': 'https', 'sealwire-envelope': envelope },
      requestContext: { ...template.requestContext, routeKey: '$default', http: { ...template.requestContext.http, method: 'GET', path: '/me' } },
      body: undefined,
      isBase64Encoded: false,
    }
  }

  it('Lambda 2.0: a clear cookie (event.cookies) beside a sealed one is refused; a sealed one arrives in event.cookies', async () => {
    const server = createSealwireServer({ keys: keys.ring, singleInstance: true })
    const fn = sealwireLambda(server, async (event) => ({ cookies: event.cookies ?? null, headerCookie: event.headers.cookie ?? null }))
    const both = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/me' }, head: { headers: [['cookie', 'session=sealed-one']] } })
    const refused = await fn(lambdaEvent(both.envelope, ['session=clear-one']), {})
    const problem = JSON.parse(new TextDecoder().decode((await openResponse(refused.body!, { reply: both.reply, status: refused.statusCode })).body))
    expect([refused.statusCode, problem.code]).toEqual([400, 'invalid_sealed_head'])
    const sealedOnly = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/me' }, head: { headers: [['cookie', 'session=sealed-one; theme=dark']] } })
    const ok = await fn(lambdaEvent(sealedOnly.envelope), {})
    const json = JSON.parse(new TextDecoder().decode((await openResponse(ok.body!, { reply: sealedOnly.reply, status: ok.statusCode })).body))
    expect(json).toEqual({ cookies: ['session=sealed-one', 'theme=dark'], headerCookie: null })
  })
})

describe('the memory store start rule, through the server', () => {
  it('a request accepted by one server of a process is refused by a store made after it (a hot reload)', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('X25519')
    const keyRing = await KeyRing.from([privateJwk])
    const handler = async () => Response.json({ ran: true })
    const s1 = createSealwireServer({ keys: keyRing, requireTls: false, singleInstance: true })
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request: { method: 'POST', target: '/transfer' }, body: { amount: 100 } })
    const send = (s: typeof s1) => s.handle(new Request('http://127.0.0.1/transfer', { method: 'POST', headers: sealed.headers, body: sealed.httpBody! }), handler)
    expect((await send(s1)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 1_100))
    const s2 = createSealwireServer({ keys: keyRing, requireTls: false, singleInstance: true, replayStore: new MemoryReplayStore({ maxEntries: 100_000 }) })
    expect((await send(s2)).status).toBe(400) // stale_request: older than this store's memory
  })
})

describe('a too-deep body beside a sealed head', () => {
  it('is invalid_payload (the body), not invalid_sealed_head', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('X25519')
    const keyRing = await KeyRing.from([privateJwk])
    let body: unknown = 1
    for (let i = 0; i < 70; i++) body = [body]
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request: { method: 'POST', target: '/x' }, body, head: { headers: [['authorization', 'Bearer x']] } })
    const err = await openRequest(sealed.envelope, { keyRing, replayStore: new MemoryReplayStore({ clock: () => Date.now() - 60_000 }), request: { method: 'POST', target: '/x' } }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'invalid_payload' })
  })
})
