// examples/express, the reference app, over real HTTPS on loopback: the routes
// of the contract, with the real client (key discovery) and with core (exact
// envelopes: replay, tamper, cut-and-paste), TLS versions, and its key file.
import { createServer as createHttpServer, type Server } from 'node:http'
import { connect } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, SealwireError, SealwireHttpError } from '@sealwire/client'
import { importRecipientKey, openResponse, sealRequest, type RecipientKey, type SealedRequest } from '@sealwire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createCertificate,
  createExampleApp,
  generateKeySet,
  loadKeys,
  pinnedFetch,
  startExampleServer,
  type PrivateJwkSet,
  type RunningExample,
} from '../../examples/express/src/index.js'
import { describeSealedApi } from './support.js'

let keys: PrivateJwkSet
let running: RunningExample
let fetch: ReturnType<typeof pinnedFetch>
let bundleDir: string
let recipients: Record<string, RecipientKey>

beforeAll(async () => {
  keys = await generateKeySet()
  bundleDir = await mkdtemp(join(tmpdir(), 'sealwire-example-express-'))
  await writeFile(join(bundleDir, 'bundle.js'), 'export const stand_in = true\n')
  running = await startExampleServer({ port: 0, keys, clientBundle: join(bundleDir, 'bundle.js') })
  fetch = pinnedFetch(running.certificate.cert)
  const jwks = (await (await fetch(`${running.url}/.well-known/sealwire/jwks.json`)).json()) as { keys: Array<{ crv: string }> }
  recipients = Object.fromEntries(await Promise.all(jwks.keys.map(async (k) => [k.crv, await importRecipientKey(k)] as const)))
})

afterAll(async () => {
  await running?.close()
  if (bundleDir !== undefined) await rm(bundleDir, { recursive: true, force: true })
})

const api = () => createClient({ baseUrl: running.url, fetch })

/** Sends a core-sealed request exactly as sealed (the bytes a replay would resend). */
function send(target: string, method: string, sealed: SealedRequest, body = sealed.httpBody): Promise<Response> {
  return fetch(`${running.url}${target}`, { method, headers: sealed.headers, ...(body === undefined ? {} : { body }) })
}

const seal = (method: string, target: string, body?: unknown, crv = 'X25519') => sealRequest({ recipient: recipients[crv]!, request: { method, target }, body })

async function open(res: Response, sealed: SealedRequest): Promise<{ status: number; json: unknown }> {
  expect(res.headers.get('content-type')).toBe('application/jose')
  const opened = await openResponse(await res.text(), { reply: sealed.reply, status: res.status })
  return { status: opened.status, json: JSON.parse(new TextDecoder().decode(opened.body)) }
}

describe('the contract routes', () => {
  it('GET /.well-known/sealwire/jwks.json: a P-256 and an X25519 public key, cacheable', async () => {
    const res = await fetch(`${running.url}/.well-known/sealwire/jwks.json`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json')
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/)
    const jwks = (await res.json()) as { keys: Array<Record<string, string>> }
    expect(jwks.keys.map((k) => k.crv).sort()).toEqual(['P-256', 'X25519'])
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ use: 'enc', alg: 'ECDH-ES' })
      expect(key.kid).toMatch(/^[\w-]{43}$/)
      expect(key).not.toHaveProperty('d')
    }
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(keys.keys.map((k) => k.kid).sort())
  })

  it('POST /api/echo answers the decrypted body, for any JSON value, with either curve', async () => {
    for (const body of [{ hello: 'world', nested: { list: [1, 2, 3] } }, [1, 'two', null], 'text', 0, null]) {
      expect(await api().post('/api/echo', body)).toEqual(body)
    }
    for (const crv of ['P-256', 'X25519']) {
      const sealed = await seal('POST', '/api/echo', { crv }, crv)
      expect(await open(await send('/api/echo', 'POST', sealed), sealed)).toEqual({ status: 200, json: { crv } })
    }
  })

  it('GET /api/ping answers {"pong": true}, the envelope in the Sealwire-Envelope header', async () => {
    expect(await api().get('/api/ping')).toEqual({ pong: true })
    const sealed = await seal('GET', '/api/ping')
    expect(sealed.httpBody).toBeUndefined()
    expect(await open(await send('/api/ping', 'GET', sealed), sealed)).toEqual({ status: 200, json: { pong: true } })
  })

  it('POST /api/transfer: a valid transfer is {"ok": true}; a violation is a sealed 422 invalid_payload with paths, not values', async () => {
    expect(await api().post('/api/transfer', { to: 'alice', amount: 42 })).toEqual({ ok: true })
    expect(await api().post('/api/transfer', { to: 'a', amount: 0.01 })).toEqual({ ok: true })

    const cases: Array<[unknown, string[]]> = [
      [{ to: '', amount: 42 }, ['to']],
      [{ to: 'alice', amount: 0 }, ['amount']],
      [{ to: 'alice', amount: -5 }, ['amount']],
      [{ to: 'alice', amount: '42' }, ['amount']],
      [{ amount: 42 }, ['to']],
      [{ to: 'alice' }, ['amount']],
      [null, ['']],
      [{ to: 'secret-recipient', amount: -1 }, ['amount']],
    ]
    for (const [body, paths] of cases) {
      const err = await api()
        .post('/api/transfer', body)
        .then(() => undefined, (e: unknown) => e)
      expect(err, JSON.stringify(body)).toBeInstanceOf(SealwireHttpError)
      const http = err as SealwireHttpError
      expect(http.status).toBe(422)
      expect(http.code).toBe('invalid_payload')
      expect(http.problem?.issues?.map((i) => i.path.join('.'))).toEqual(paths)
      expect(JSON.stringify(http.problem)).not.toContain('secret-recipient')
    }

    // And it is sealed on the wire: the refusal is readable only with the request's response key.
    const sealed = await seal('POST', '/api/transfer', { to: '', amount: -1 })
    const res = await send('/api/transfer', 'POST', sealed)
    expect(res.status).toBe(422)
    expect(await open(res, sealed)).toMatchObject({ status: 422, json: { code: 'invalid_payload' } })
  })

  it('plain JSON to any protected route is 415 unsupported_media_type, in plain problem+json', async () => {
    const attempts: Array<[string, string, string | undefined]> = [
      ['POST', '/api/echo', '{"hello":"world"}'],
      ['POST', '/api/transfer', '{"to":"alice","amount":42}'],
      ['GET', '/api/ping', undefined],
      ['POST', '/api/unknown', '{}'],
    ]
    for (const [method, target, body] of attempts) {
      const res = await fetch(`${running.url}${target}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) })
      expect(res.status, `${method} ${target}`).toBe(415)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(((await res.json()) as { code: string }).code).toBe('unsupported_media_type')
    }
  })

  it('an unknown sealed route is a sealed 404', async () => {
    const sealed = await seal('POST', '/api/nowhere', {})
    const res = await send('/api/nowhere', 'POST', sealed)
    expect(res.status).toBe(404)
    expect((await openResponse(await res.text(), { reply: sealed.reply, status: 404 })).status).toBe(404)
  })
})

describe('what Sealwire refuses, end to end', () => {
  it('the exact same envelope twice: the copy is 409 replayed_request, sealed to the original sender', async () => {
    const sealed = await seal('POST', '/api/transfer', { to: 'alice', amount: 42 })
    expect(await open(await send('/api/transfer', 'POST', sealed), sealed)).toEqual({ status: 200, json: { ok: true } })
    const again = await send('/api/transfer', 'POST', sealed)
    expect(again.status).toBe(409)
    expect(await open(again, sealed)).toMatchObject({ status: 409, json: { code: 'replayed_request' } })
  })

  it('one flipped ciphertext bit: 400 decryption_failed, before anything was decrypted', async () => {
    const sealed = await seal('POST', '/api/transfer', { to: 'alice', amount: 42 })
    const parts = sealed.httpBody!.split('.')
    const ciphertext = Buffer.from(parts[3]!, 'base64url')
    ciphertext[3]! ^= 0x01
    parts[3] = ciphertext.toString('base64url')
    const res = await send('/api/transfer', 'POST', sealed, parts.join('.'))
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(((await res.json()) as { code: string }).code).toBe('decryption_failed')
    // The untouched envelope still goes through: the refusal spent nothing.
    expect((await send('/api/transfer', 'POST', sealed)).status).toBe(200)
  })

  it('an envelope cut from /api/echo and pasted onto /api/transfer: 400 binding_mismatch', async () => {
    const sealed = await seal('POST', '/api/echo', { to: 'mallory', amount: 1_000_000 })
    const res = await send('/api/transfer', 'POST', sealed)
    expect(res.status).toBe(400)
    expect(await open(res, sealed)).toMatchObject({ json: { code: 'binding_mismatch' } })
  })

  it('a key the server does not hold: 400 unknown_key, raised by the client as SealwireError', async () => {
    const { d: _d, ...stranger } = (await generateKeySet()).keys[0]!
    const client = createClient({ baseUrl: running.url, fetch, keys: [stranger] }) // pinned: no rediscovery
    const err = await client.get('/api/ping').then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SealwireError)
    expect(err).toMatchObject({ code: 'unknown_key', status: 400 })
  })
})

describe('transport', () => {
  const handshake = (options: { minVersion?: 'TLSv1' | 'TLSv1.2'; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' }) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: running.port, ca: running.certificate.cert, servername: 'localhost', ...options }, () => {
        const protocol = socket.getProtocol() ?? '?'
        socket.end()
        resolve(protocol)
      })
      socket.once('error', reject)
    })

  it('TLS 1.3 by default, 1.2 accepted, 1.1 refused', async () => {
    expect(await handshake({})).toBe('TLSv1.3')
    expect(await handshake({ maxVersion: 'TLSv1.2' })).toBe('TLSv1.2')
    await expect(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).rejects.toThrow()
  })

  it('binds 127.0.0.1 by default, and its certificate names localhost, 127.0.0.1 and ::1', async () => {
    expect((running.server.address() as AddressInfo).address).toBe('127.0.0.1')
    const { X509Certificate } = await import('node:crypto')
    const cert = new X509Certificate(running.certificate.cert)
    expect(cert.subjectAltName).toContain('DNS:localhost')
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1')
    expect(cert.checkIP('::1')).toBe('::1')
    expect(cert.ca).toBe(false)
    expect(cert.fingerprint256).toBe(running.certificate.fingerprint)
  })

  it('the pinned fetch trusts that certificate only', async () => {
    const other = await createCertificate()
    await expect(pinnedFetch(other.cert)(`${running.url}/api/ping`)).rejects.toThrow(/self.signed|unable to verify|certificate/i)
  })

  it('requireTls stays on: the same app over plain HTTP refuses sealed requests with 403 insecure_transport', async () => {
    const app = await createExampleApp({ keys })
    const server: Server = createHttpServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const sealed = await seal('POST', '/api/echo', { a: 1 })
      const res = await globalThis.fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/echo`, { method: 'POST', headers: sealed.headers, body: sealed.httpBody! })
      expect(res.status).toBe(403)
      expect(((await res.json()) as { code: string }).code).toBe('insecure_transport')
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('the browser page and its assets', () => {
  it('serves the page at /, its script and styles, with a strict CSP, and the client bundle', async () => {
    const page = await fetch(`${running.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/)
    const html = await page.text()
    expect(html).toContain('<script type="module" src="/app.js"></script>')
    for (const [path, type] of [['/app.js', /javascript/], ['/styles.css', /^text\/css/], ['/sealwire-client.min.js', /javascript/]] as const) {
      const res = await fetch(`${running.url}${path}`)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toMatch(type)
    }
    expect(await (await fetch(`${running.url}/sealwire-client.min.js`)).text()).toBe('export const stand_in = true\n')
    // Nothing else of the page's directory is served.
    expect((await fetch(`${running.url}/package.json`)).status).toBe(404)
  })

  it('without a built client bundle, says how to build it', async () => {
    const other = await startExampleServer({ port: 0, keys, clientBundle: join(bundleDir, 'missing.js'), certificate: running.certificate })
    try {
      const res = await pinnedFetch(running.certificate.cert)(`${other.url}/sealwire-client.min.js`)
      expect(res.status).toBe(503)
      expect(await res.text()).toMatch(/pnpm@10 build/)
    } finally {
      await other.close()
    }
  })
})

describe('keys: SEALWIRE_PRIVATE_JWKS, or a private file made on first run', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sealwire-example-keys-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('generates a P-256 and an X25519 key on first run, in a file of mode 0600 in a directory of mode 0700, and reuses it', async () => {
    const file = join(dir, 'first', '.sealwire', 'private-jwks.json')
    const first = await loadKeys({ env: {}, file })
    expect(first.source).toEqual({ from: 'file', path: file, created: true })
    expect(first.jwks.keys.map((k) => k.crv).sort()).toEqual(['P-256', 'X25519'])
    expect(first.jwks.keys.every((k) => typeof k.d === 'string')).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'first', '.sealwire'))).mode & 0o777).toBe(0o700)
    const second = await loadKeys({ env: {}, file })
    expect(second.source).toEqual({ from: 'file', path: file, created: false })
    expect(second.jwks).toEqual(first.jwks)
  })

  it('servers starting at once end up with one key set', async () => {
    const file = join(dir, 'race', 'private-jwks.json')
    const loaded = await Promise.all(Array.from({ length: 6 }, () => loadKeys({ env: {}, file })))
    expect(loaded.filter((l) => l.source.from === 'file' && l.source.created)).toHaveLength(1)
    for (const l of loaded) expect(l.jwks).toEqual(loaded[0]!.jwks)
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(loaded[0]!.jwks)
  })

  it('tightens a key file others can read', async () => {
    const file = join(dir, 'loose.json')
    await writeFile(file, JSON.stringify(await generateKeySet()))
    await chmod(file, 0o644)
    await loadKeys({ env: {}, file })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('SEALWIRE_PRIVATE_JWKS wins over the file, and the server uses those keys', async () => {
    const set = await generateKeySet()
    const file = join(dir, 'unused.json')
    const loaded = await loadKeys({ env: { SEALWIRE_PRIVATE_JWKS: JSON.stringify(set) }, file })
    expect(loaded).toEqual({ jwks: set, source: { from: 'env' } })
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a malformed SEALWIRE_PRIVATE_JWKS is refused without echoing it', async () => {
    const secret = '{"keys":[{"kty":"OKP","d":"c2VjcmV0'
    await expect(loadKeys({ env: { SEALWIRE_PRIVATE_JWKS: secret }, file: join(dir, 'x.json') })).rejects.toThrow(/SEALWIRE_PRIVATE_JWKS is not JSON/)
    await expect(loadKeys({ env: { SEALWIRE_PRIVATE_JWKS: secret }, file: join(dir, 'x.json') })).rejects.not.toThrow(/c2VjcmV0/)
    await expect(loadKeys({ env: { SEALWIRE_PRIVATE_JWKS: '{"keys":[]}' }, file: join(dir, 'x.json') })).rejects.toThrow(/at least one key/)
    // Keys that parse but are not keys: the server refuses them at start.
    await expect(createExampleApp({ keys: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA' }] } })).rejects.toThrow(TypeError)
  })
})

// The contract every framework example serves, on the reference app too (GET /api/events included).
describeSealedApi('examples/express', async () => {
  const app = await startExampleServer({ port: 0, keys, clientBundle: join(bundleDir, 'bundle.js') })
  return { url: app.url, fetch: pinnedFetch(app.certificate.cert), close: app.close }
})
