/**
 * The sealed head (docs/PROTOCOL.md §3.5) across releases, with the real code
 * of both: the last release before it is built from git (helpers/old-release.ts)
 * and talks to the current packages over real HTTP on loopback, each side on
 * its own Express adapter.
 *
 * - old client → new server: v1 as before, Authorization and the query in
 *   clear, the answer without a sealed head, opened by the old client;
 * - new client → old server: a request with nothing to seal goes through (the
 *   old server ignores the non-critical `shd`); one with Authorization or a
 *   query is refused by the old server (`crit`, 400 `unsupported_algorithm`)
 *   before its handler runs, nothing of it sent in clear, and the client says
 *   `sealed_head_unsupported`; with those sent in clear on purpose it works;
 * - new client → new server: the sealed head restored;
 * - python-jwcrypto and node-jose seal a sealed-head request the new server
 *   accepts, and jwcrypto opens the answer's sealed fields.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { ENVELOPE_HEADER, KeyRing, SealwireError, generateKeyPair, openResponse, type Curve, type PrivateJwk, type PublicJwk } from '@sealwire/core'
import { createClient } from '@sealwire/client'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express, { type RequestHandler } from 'express'
import { base64url, decodeProtectedHeader } from 'jose'
import nodeJose from 'node-jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lastReleaseAvailable, loadLastRelease, type OldRelease } from '../helpers/old-release.js'
import { serveNode } from '../server/harness/listen.js'
import { rawRequest } from '../server/helpers/http.js'
import { jwcrypto, jwcryptoAvailable } from './jwcrypto.js'

/** A request as it reached the server, before any Sealwire code saw it. */
interface Arrival {
  method: string
  url: string
  headers: IncomingHttpHeaders
}

/** What the handlers answer: the request as the application sees it. */
interface Seen {
  method: string
  url: string
  authorization: string | null
  query: Record<string, unknown>
  body: unknown
}

interface App {
  url: string
  /** Every request that arrived, in order. */
  arrivals: Arrival[]
  /** How many times a handler ran. */
  handled: number
  close(): Promise<void>
}

/** Where the answer points: a field the new server seals for a requester that announced the sealed head. */
const LOCATION = '/api/items/1'

/** The same application behind either release's Express adapter; the tests use its plain-HTTP listener on 127.0.0.1. */
async function startApp(sealwire: ReturnType<typeof sealwireExpress>): Promise<App> {
  const app = express()
  const running: App = { url: '', arrivals: [], handled: 0, close: async () => undefined }
  app.use((req, _res, next) => {
    running.arrivals.push({ method: req.method, url: req.url, headers: { ...req.headers } })
    next()
  })
  app.use(sealwire)
  const answer: RequestHandler = (req, res) => {
    running.handled += 1
    const seen: Seen = { method: req.method, url: req.originalUrl, authorization: req.headers.authorization ?? null, query: req.query, body: req.body ?? null }
    res.set('location', LOCATION).json(seen)
  }
  app.post('/api/echo', answer)
  app.get('/api/search', answer)
  const served = await serveNode(app)
  running.url = served.plainUrl
  running.close = served.close
  return running
}

/** One sealed exchange as the client's fetch sent and received it. */
interface Wire {
  /** The request's envelope (the body of a POST, the Sealwire-Envelope field of a GET). */
  envelope: string
  status: number
  headers: Headers
  body: string
}

/** The global fetch, recording each sealed exchange (the JWK Set fetch is not one) for the test to inspect. */
function recordingFetch(log: Wire[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init)
    const envelope = typeof init?.body === 'string' ? init.body : new Headers(init?.headers).get(ENVELOPE_HEADER)
    if (envelope !== null) log.push({ envelope, status: res.status, headers: res.headers, body: await res.clone().text() })
    return res
  }
}

const AUTHORIZATION = 'Bearer demo-token'

let old: OldRelease
/** The servers' keys, one per curve (node-jose has no X25519). */
let keys: Record<Curve, { privateJwk: PrivateJwk; publicJwk: PublicJwk }>
let oldApp: App
let newApp: App

describe.skipIf(!lastReleaseAvailable())('sealed head across releases (the last release built from git)', () => {
  beforeAll(async () => {
    old = await loadLastRelease()
    keys = { X25519: await generateKeyPair('X25519'), 'P-256': await generateKeyPair('P-256') }
    const privateJwks = [keys.X25519.privateJwk, keys['P-256'].privateJwk]
    const oldServer = old.createSealwireServer({ keys: await old.KeyRing.from(privateJwks), allowInsecureLoopback: true })
    const newServer = createSealwireServer({ keys: await KeyRing.from(privateJwks), allowInsecureLoopback: true })
    await Promise.all([oldServer.ready, newServer.ready])
    oldApp = await startApp(old.sealwireExpress(oldServer))
    newApp = await startApp(sealwireExpress(newServer))
  }, 120_000)
  afterAll(async () => {
    await Promise.all([oldApp?.close(), newApp?.close()])
  })

  describe('old client → new server: v1 as before', () => {
    const wire: Wire[] = []
    const client = () => old.createClient({ baseUrl: newApp.url, fetch: recordingFetch(wire) })

    it('a POST with a body and Authorization in clear: accepted, the header reaches the handler, the answer has no sealed head', async () => {
      const res = await client().fetch('/api/echo', { method: 'POST', body: JSON.stringify({ hello: 'old' }), headers: { authorization: AUTHORIZATION } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ method: 'POST', url: '/api/echo', authorization: AUTHORIZATION, query: {}, body: { hello: 'old' } } satisfies Seen)
      // The old client sends Authorization in clear, as it always did.
      expect(newApp.arrivals.at(-1)).toMatchObject({ method: 'POST', url: '/api/echo', headers: { authorization: AUTHORIZATION } })
      const { envelope, headers, body } = wire.at(-1)!
      expect(decodeProtectedHeader(envelope)).not.toHaveProperty('shd')
      // Answered in v1: no sealed head in the answer, Location left in clear (the old client could not open it sealed).
      expect(decodeProtectedHeader(body)).not.toHaveProperty('shd')
      expect(headers.get('location')).toBe(LOCATION)
    })

    it('a GET with a query: the query travels in clear, binds as before, and reaches the handler', async () => {
      const res = await client().fetch('/api/search?q=tea', { headers: { authorization: AUTHORIZATION } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ method: 'GET', url: '/api/search?q=tea', authorization: AUTHORIZATION, query: { q: 'tea' }, body: null } satisfies Seen)
      expect(newApp.arrivals.at(-1)).toMatchObject({ method: 'GET', url: '/api/search?q=tea', headers: { authorization: AUTHORIZATION } })
      const { envelope, body } = wire.at(-1)!
      expect(decodeProtectedHeader(envelope)).toMatchObject({ htm: 'GET', htu: '/api/search?q=tea' })
      expect(decodeProtectedHeader(envelope)).not.toHaveProperty('crit')
      expect(decodeProtectedHeader(body)).not.toHaveProperty('shd')

      // Bound as before: the same envelope under another query is refused (binding, 400, before the replay check), unhandled.
      const handled = newApp.handled
      const moved = await rawRequest(`${newApp.url}/api/search?q=coffee`, { headers: { [ENVELOPE_HEADER]: envelope } })
      expect(moved.status).toBe(400)
      expect(newApp.handled).toBe(handled)
    })
  })

  describe('new client → old server', () => {
    const wire: Wire[] = []
    const client = (options: { clearHeaders?: string[]; sealQuery?: boolean } = {}) => createClient({ baseUrl: oldApp.url, fetch: recordingFetch(wire), ...options })

    it('a request with nothing to seal works: the old server ignores the non-critical shd', async () => {
      const res = await client().fetch('/api/echo', { method: 'POST', body: JSON.stringify({ hello: 'new' }) })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ method: 'POST', url: '/api/echo', authorization: null, query: {}, body: { hello: 'new' } } satisfies Seen)
      const { envelope, body } = wire.at(-1)!
      const header = decodeProtectedHeader(envelope)
      expect(header.shd).toBe(1)
      expect(header).not.toHaveProperty('crit')
      expect(decodeProtectedHeader(body)).not.toHaveProperty('shd')
    })

    for (const [what, target, init] of [
      ['Authorization', '/api/echo', { method: 'POST', body: '{}', headers: { authorization: AUTHORIZATION } }],
      ['a query', '/api/search?q=tea', {}],
    ] as const) {
      it(`a request with ${what} is refused by the old server before its handler runs, nothing sent in clear: sealed_head_unsupported`, async () => {
        const handled = oldApp.handled
        const error = await client()
          .fetch(target, init)
          .then(() => undefined, (e: unknown) => e)
        expect(error).toBeInstanceOf(SealwireError)
        expect(error).toMatchObject({ code: 'sealed_head_unsupported', cause: { code: 'unsupported_algorithm' } })
        // The message names the fix: upgrade the server, or send in clear on purpose.
        const { message } = error as SealwireError
        expect(message).toContain('Upgrade @sealwire/server')
        expect(message).toContain('clearHeaders')
        expect(message).toContain('sealQuery: false')
        expect(oldApp.handled).toBe(handled)
        // The old server's own refusal of crit: plain, before decryption.
        const { envelope, status, headers, body } = wire.at(-1)!
        expect(decodeProtectedHeader(envelope)).toMatchObject({ shd: 1, crit: ['shd'] })
        expect(status).toBe(400)
        expect(headers.get('content-type')).toMatch(/^application\/problem\+json/)
        expect(JSON.parse(body)).toMatchObject({ code: 'unsupported_algorithm' })
        // What the old server received: the path alone, no Authorization.
        const arrival = oldApp.arrivals.at(-1)!
        expect(arrival.url).toBe(new URL(target, oldApp.url).pathname)
        expect(arrival.headers).not.toHaveProperty('authorization')
      })
    }

    it('with clearHeaders: ["authorization"] and sealQuery: false the same request works, both in clear', async () => {
      const res = await client({ clearHeaders: ['authorization'], sealQuery: false }).fetch('/api/search?q=tea', { headers: { authorization: AUTHORIZATION } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ method: 'GET', url: '/api/search?q=tea', authorization: AUTHORIZATION, query: { q: 'tea' }, body: null } satisfies Seen)
      expect(oldApp.arrivals.at(-1)).toMatchObject({ url: '/api/search?q=tea', headers: { authorization: AUTHORIZATION } })
      const header = decodeProtectedHeader(wire.at(-1)!.envelope)
      expect(header).toMatchObject({ shd: 1, htu: '/api/search?q=tea' })
      expect(header).not.toHaveProperty('crit')
    })
  })

  describe('new client → new server', () => {
    it('Authorization and the query travel sealed and are restored for the handler; Location comes back sealed', async () => {
      const wire: Wire[] = []
      const res = await createClient({ baseUrl: newApp.url, fetch: recordingFetch(wire) }).fetch('/api/search?q=tea', { headers: { authorization: AUTHORIZATION } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ method: 'GET', url: '/api/search?q=tea', authorization: AUTHORIZATION, query: { q: 'tea' }, body: null } satisfies Seen)
      expect(res.headers.get('location')).toBe(LOCATION)
      const arrival = newApp.arrivals.at(-1)!
      expect(arrival.url).toBe('/api/search')
      expect(arrival.headers).not.toHaveProperty('authorization')
      const { envelope, headers, body } = wire.at(-1)!
      expect(decodeProtectedHeader(envelope)).toMatchObject({ shd: 1, crit: ['shd'], htu: '/api/search' })
      expect(typeof decodeProtectedHeader(body).shd).toBe('string')
      expect(headers.get('location')).toBeNull()
    })
  })

  describe('third-party JOSE libraries seal a sealed-head request the new server accepts', () => {
    const HEAD = { hdr: { authorization: 'Bearer x' }, qry: 'q=1' }
    const EXPECTED: Seen = { method: 'GET', url: '/api/search?q=1', authorization: 'Bearer x', query: { q: '1' }, body: null }

    /** The protected header of a sealed-head GET /api/search, besides what the library writes (epk). */
    const header = (curve: Curve) => ({
      alg: 'ECDH-ES',
      enc: 'A256GCM',
      typ: 'sealwire-req+jwe',
      kid: keys[curve].publicJwk.kid,
      iat: Math.floor(Date.now() / 1000),
      jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
      htm: 'GET',
      // The path alone: the query travels sealed (qry).
      htu: '/api/search',
      shd: 1,
      crit: ['shd'],
    })
    const plaintext = (rk: Uint8Array) => JSON.stringify({ rk: base64url.encode(rk), body: null, ...HEAD })
    const send = (envelope: string) => rawRequest(`${newApp.url}/api/search`, { headers: { [ENVELOPE_HEADER]: envelope } })

    it.skipIf(!jwcryptoAvailable())('python-jwcrypto (X25519): the handler sees the sealed header and query; jwcrypto opens the answer and its sealed Location', async () => {
      const rk = crypto.getRandomValues(new Uint8Array(32))
      const sealed = header('X25519')
      const res = await send(jwcrypto({ jwk: keys.X25519.publicJwk, header: sealed, plaintext: plaintext(rk) }))
      expect(res.status).toBe(200)
      expect(res.headers.location).toBeUndefined()
      const opened = JSON.parse(jwcrypto({ open: res.body, rk: base64url.encode(rk) })) as { header: Record<string, unknown>; plaintext: string; head?: Record<string, string> }
      expect(opened.header).toMatchObject({ typ: 'sealwire-res+jwe', jti: sealed.jti, sts: 200 })
      expect(JSON.parse(opened.plaintext)).toEqual(EXPECTED)
      expect(opened.head).toEqual({ location: LOCATION })
    })

    it('node-jose (P-256): the handler sees the sealed header and query', async () => {
      const rk = crypto.getRandomValues(new Uint8Array(32))
      const fields = header('P-256')
      const envelope = await nodeJose.JWE.createEncrypt({ format: 'compact', fields }, await nodeJose.JWK.asKey(keys['P-256'].publicJwk)).update(plaintext(rk)).final()
      expect(decodeProtectedHeader(envelope)).toMatchObject({ shd: 1, crit: ['shd'] })
      const res = await send(envelope)
      expect(res.status).toBe(200)
      const opened = await openResponse(res.body, { reply: { jti: fields.jti, rk, sealsHead: true }, status: res.status })
      expect(JSON.parse(new TextDecoder().decode(opened.body))).toEqual(EXPECTED)
    })
  })
})
