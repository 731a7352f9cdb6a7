/**
 * The client's errors on the traps of a first hour: each one names what went
 * wrong in the user's terms and the fix, keeping the original as `cause`.
 * Real sockets on loopback: a self-signed HTTPS server, an Express app behind
 * @sealwire/server with a small `maxBodyBytes` and a large answer, a server
 * whose signed key set has expired.
 */
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { KeyRing, generateKeyPair, type PrivateJwk } from '@sealwire/core'
import { signKeySet } from '@sealwire/cli'
import { createClient } from '@sealwire/client'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { testCertificate } from '../server/helpers/tls.js'
import { loopbackServers } from './support/listen.js'
import { caught, rejection } from './support/caught.js'
import { startProxy } from './support/proxy.js'

const { serve, closeAll } = loopbackServers()

let keys: PrivateJwk
let publicKey: Record<string, unknown>
let sealwire: SealwireServer
let origin: string
let selfSigned: string
const MAX_BODY_BYTES = 2048
/** The plaintext the large route answers with. */
const LARGE = 'x'.repeat(30_000)

beforeAll(async () => {
  const pair = await generateKeyPair('X25519')
  keys = pair.privateJwk
  publicKey = pair.publicJwk as unknown as Record<string, unknown>
  sealwire = createSealwireServer({ keys: await KeyRing.from([keys]), allowInsecureLoopback: true, singleInstance: true, maxBodyBytes: MAX_BODY_BYTES })
  await sealwire.ready
  const app = express()
  app.use(sealwireExpress(sealwire))
  app.post('/api/echo', (req, res) => void res.json(req.body))
  app.get('/api/items', (req, res) => void res.json({ query: req.query }))
  app.get('/api/large', (_req, res) => void res.type('text/plain').send(LARGE))
  origin = `http://${await serve(createServer(app))}`
  const tls = await testCertificate()
  selfSigned = await serve(createHttpsServer({ key: tls.key, cert: tls.cert }, app))
})
afterAll(closeAll)

describe('a request that cannot be sent (pinned keys: no discovery fetch explains it first)', () => {
  it("an untrusted certificate: names it and NODE_EXTRA_CA_CERTS, with Node's system error as cause (as fetch's own)", async () => {
    const api = createClient({ baseUrl: `https://${selfSigned}`, keys: [publicKey] })
    const err = await rejection(api.post('/api/echo', { a: 1 }))
    // Still a TypeError, as fetch throws it: code that catches network failures keeps working.
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toContain(`from https://${selfSigned}: `)
    expect(err.message).toMatch(/TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/)
    expect(err.message).toContain('NODE_EXTRA_CA_CERTS=')
    // The shape of Node's own "fetch failed": `err.cause.code` names the system error.
    expect((err.cause as { code?: string }).code).toMatch(/SELF_SIGNED_CERT/)
  })

  it("a browser's reasonless TypeError gets a sentence; an abort stays the caller's AbortError", async () => {
    const opaque = new TypeError('Failed to fetch')
    const browserLike = createClient({
      baseUrl: 'https://api.example.com',
      keys: [publicKey],
      fetch: async () => {
        throw opaque
      },
    })
    const err = await rejection(browserLike.get('/api/items'))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toContain('from https://api.example.com: ')
    expect(err.message).toContain('developer console')
    expect(err.cause).toBe(opaque)

    const controller = new AbortController()
    controller.abort()
    const aborted = await rejection(createClient({ baseUrl: origin, keys: [publicKey] }).get('/api/items', { signal: controller.signal }))
    expect(aborted.name).toBe('AbortError')
  })
})

describe('refusals name the setting behind them', () => {
  it('unknown_key with pinned keys: says the pins are stale and how to ship new ones', async () => {
    const stranger = await generateKeyPair('X25519')
    const err = await caught(createClient({ baseUrl: origin, keys: [stranger.publicJwk] }).post('/api/echo', {}))
    expect(err.code).toBe('unknown_key')
    expect(err.message).toContain(`does not hold the pinned key ${stranger.publicJwk.kid}`)
    expect(err.message).toMatch(/the pins are stale/)
    expect(err.message).toMatch(/sealwire keys public/)
    expect(err.message).toMatch(/jwksRoot/)
  })

  it('413: names maxBodyBytes and the size of the envelope sent', async () => {
    const err = await caught(createClient({ baseUrl: origin, keys: [publicKey] }).post('/api/echo', { text: 'y'.repeat(4000) }))
    expect(err.code).toBe('payload_too_large')
    expect(err.status).toBe(413)
    expect(err.message).toMatch(/the envelope sent is \d+ bytes/)
    const sent = Number(/the envelope sent is (\d+) bytes/.exec(err.message)![1])
    expect(sent).toBeGreaterThan(4000)
    expect(err.message).toContain("the server's maxBodyBytes option")
    // The server's own problem document stays in cause, unquoted.
    expect(err.cause).toMatchObject({ code: 'payload_too_large' })
  })

  it("a proxy's own 413 (an HTML page): payload_too_large naming the proxy's limit, not an unsealed answer", async () => {
    const proxy = await serve(createServer((_req, res) => void res.writeHead(413, { 'content-type': 'text/html' }).end('<h1>413 Request Entity Too Large</h1>')))
    const err = await caught(createClient({ baseUrl: `http://${proxy}`, keys: [publicKey] }).post('/api/echo', { text: 'y'.repeat(4000) }))
    expect(err.code).toBe('payload_too_large')
    expect(err.message).toMatch(/not a Sealwire refusal\): the envelope sent is \d+ bytes/)
    expect(err.message).toContain('client_max_body_size')
  })

  it('a GET whose query is too long for the envelope header: names the query and the fix, not "a smaller body"', async () => {
    const api = createClient({ baseUrl: origin, keys: [publicKey] })
    const query = `q=${'a'.repeat(9000)}`
    for (const sealQuery of [false, true]) {
      const err = await rejection(api.fetch(`/api/items?${query}`, { sealQuery }))
      expect(err, `sealQuery: ${sealQuery}`).toBeInstanceOf(RangeError)
      expect(err.message).not.toMatch(/smaller body/)
      expect(err.message).toMatch(/POST/)
      // In clear, the query is bound in the envelope's header (htu) and overflows it; sealed, it passes the sealed head's own cap first.
      expect(err.message).toContain(sealQuery ? 'the sealed query (9002 characters)' : 'most of it the query (9002 characters): send a shorter query')
    }
  })
})

describe('maxResponseBytes is envelope bytes: the error gives both units', () => {
  it('with a Content-Length: the size of the sealed answer, its plaintext equivalent, the limit', async () => {
    // A proxy in front (as a CDN) declares the length.
    const proxy = await startProxy(origin)
    onTestFinished(() => proxy.close())
    proxy.tamper = (real) => ({ ...real, headers: { ...real.headers, 'content-length': String(real.body.length) } })
    const api = createClient({ baseUrl: proxy.url, keys: [publicKey], maxResponseBytes: 20_000 })
    const err = await caught(api.get('/api/large'))
    expect(err.code).toBe('response_decryption_failed')
    const match = /The sealed answer is (\d+) bytes \(≈ (\d+(?:\.\d)?) KiB of plaintext\) over maxResponseBytes = 20000 \(≈ (\d+(?:\.\d)?) KiB of plaintext\)/.exec(err.message)
    expect(match, err.message).not.toBeNull()
    expect(Number(match![1])).toBeGreaterThan(40_000)
    // 30 000 bytes of plaintext is 29.3 KiB: the estimate is close.
    expect(Math.abs(Number(match![2]) - 29.3)).toBeLessThan(0.5)
    expect(err.message).toMatch(/raise maxResponseBytes/)
  })

  it('without one (a hop re-frames it chunked): over the limit, in both units', async () => {
    const proxy = await startProxy(origin)
    onTestFinished(() => proxy.close())
    proxy.tamper = (real) => {
      const { 'content-length': _length, ...headers } = real.headers as Record<string, string>
      return { ...real, headers: { ...headers, 'transfer-encoding': 'chunked' } }
    }
    const api = createClient({ baseUrl: proxy.url, keys: [publicKey], maxResponseBytes: 20_000 })
    const err = await caught(api.get('/api/large'))
    expect(err.code).toBe('response_decryption_failed')
    expect(err.message).toMatch(/The sealed answer is over maxResponseBytes = 20000 \(≈ 14\.\d KiB of plaintext\)/)
  })
})

describe('a server with no valid signed key set to serve', () => {
  it('says so on the wire (a documented detail) and in the client, with the fix', async () => {
    const root = await generateKeyPair('P-256')
    const own = await generateKeyPair('X25519')
    const set = await signKeySet([own.publicJwk], root.privateJwk, { expiresInSeconds: 3600 })
    let now = Date.now()
    const signed = createSealwireServer({ keys: await KeyRing.from([own.privateJwk]), allowInsecureLoopback: true, signedJwks: set, clock: () => now })
    await signed.ready
    const app = express()
    app.use(sealwireExpress(signed))
    app.post('/api/echo', (req, res) => void res.json(req.body))
    const url = `http://${await serve(createServer(app))}`
    const thumbprint = root.publicJwk.kid
    // Still valid: served and used.
    expect(await createClient({ baseUrl: url, jwksRoot: thumbprint }).post('/api/echo', { ok: 1 })).toEqual({ ok: 1 })

    now += 2 * 3_600_000
    const logged: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void logged.push(line))
    onTestFinished(() => spy.mockRestore())
    const served = await fetch(`${url}${signed.signedJwksPath}`)
    expect(served.status).toBe(500)
    expect(await served.json()).toMatchObject({ code: 'internal_error', detail: 'No valid signed key set to serve' })

    const err = await caught(createClient({ baseUrl: url, jwksRoot: thumbprint }).post('/api/echo', {}))
    expect(err.code).toBe('key_discovery_failed')
    expect(err.message).toMatch(/has no valid signed key set to serve/)
    expect(err.message).toMatch(/sealwire keys sign/)
    // The reason itself goes to the operator's log, once.
    expect(logged).toEqual([expect.stringMatching(/^Sealwire: not serving the signed JWK Set: the signed set expired at /)])
  })
})
