/**
 * Signed key sets end to end (docs/PROTOCOL.md §2.1; issue 9 item 2): the CLI
 * makes the offline root (0600) and signs the server's set, the server serves
 * it, and a client pinned to the root accepts only that. A TLS terminator that
 * serves its own set — signed by its own root, or a plain JWK Set — is refused
 * before anything is sealed to its key; an expired or edited set is refused;
 * the server rotates its encryption keys and the same client follows.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyRing, SealwireError, generateKeyPair, type PrivateJwk } from '@sealwire/core'
import { signKeySet } from '@sealwire/cli'
import { createClient } from '@sealwire/client'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { sw } from '../cli/helpers.js'

let dir: string
let ring: KeyRing
let rootPrivate: PrivateJwk & Record<string, unknown>
let thumbprint: string
let publicRoot: Record<string, unknown>
/** What the server serves at /.well-known/sealwire/jwks.jwt: re-signed on rotation. */
let signedSet: string
let server: Server
let origin: string
const apiHits: string[] = []

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}
const close = (s: Server) =>
  new Promise<void>((resolve) => {
    s.closeAllConnections()
    s.close(() => resolve())
  })

async function caught(promise: Promise<unknown>): Promise<SealwireError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SealwireError)
  return error as SealwireError
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealwire-signed-'))
  expect((await sw(['keys', 'generate', '--out', 'server.jwks.json'], { cwd: dir })).code).toBe(0)
  const root = await sw(['keys', 'root', '--out', 'root.jwk.json'], { cwd: dir })
  expect(root.code).toBe(0)
  ;({ thumbprint, publicJwk: publicRoot } = JSON.parse(root.stdout) as { thumbprint: string; publicJwk: Record<string, unknown> })
  rootPrivate = JSON.parse(readFileSync(join(dir, 'root.jwk.json'), 'utf8')) as PrivateJwk & Record<string, unknown>
  const signed = await sw(['keys', 'sign', '--root', 'root.jwk.json', '--expires', '7d', '--out', 'jwks.jwt', 'server.jwks.json'], { cwd: dir })
  expect(signed.code, signed.stderr).toBe(0)
  signedSet = readFileSync(join(dir, 'jwks.jwt'), 'utf8').trim()
  ring = await KeyRing.from(JSON.parse(readFileSync(join(dir, 'server.jwks.json'), 'utf8')) as { keys: unknown[] })

  const sealwire = createSealwireServer({ keys: ring, allowInsecureLoopback: true, signedJwks: () => signedSet })
  await sealwire.ready
  const app = express()
  app.use((req, _res, next) => {
    if (req.path.startsWith('/api/')) apiHits.push(req.path)
    next()
  })
  app.use(sealwireExpress(sealwire))
  app.post('/api/whoami', (req, res) => {
    res.json({ kid: req.sealwire!.kid, body: req.body })
  })
  server = createServer(app)
  origin = await listen(server)
})
afterAll(async () => {
  await close(server)
  rmSync(dir, { recursive: true, force: true })
})

describe('the CLI', () => {
  it('writes the root key 0600, prints its public JWK and thumbprint, never the private key', async () => {
    expect(statSync(join(dir, 'root.jwk.json')).mode & 0o777).toBe(0o600)
    expect(rootPrivate).toMatchObject({ kty: 'EC', crv: 'P-256', kid: thumbprint })
    expect(publicRoot).not.toHaveProperty('d')
    expect(thumbprint).toMatch(/^[\w-]{43}$/)
    const noOut = await sw(['keys', 'root'], { cwd: dir })
    expect(noOut.code).toBe(2)
    expect(noOut.stdout).toBe('')
  })

  it('keys sign names the root by the thumbprint of its key (not the file\'s kid), and warns when the root file is readable by others', async () => {
    // A copy whose kid lies and whose mode was widened (a checkout, a cp without -p).
    writeFileSync(join(dir, 'root-copy.jwk.json'), JSON.stringify({ ...rootPrivate, kid: 'not-the-thumbprint' }), { mode: 0o644 })
    chmodSync(join(dir, 'root-copy.jwk.json'), 0o644)
    const signed = await sw(['keys', 'sign', '--root', 'root-copy.jwk.json', '--out', 'copy.jwt', 'server.jwks.json'], { cwd: dir })
    expect(signed.code, signed.stderr).toBe(0)
    expect(signed.stderr).toContain(`with root ${thumbprint},`)
    expect(signed.stderr).toContain("warning: root-copy.jwk.json holds a private key and is readable by others (mode 0644): chmod 600 'root-copy.jwk.json'")
    // The 0600 original: no warning.
    const quiet = await sw(['keys', 'sign', '--root', 'root.jwk.json', '--out', 'quiet.jwt', 'server.jwks.json'], { cwd: dir })
    expect(quiet.stderr).not.toContain('warning')
  })

  it('keys sign warns too when the root file is writable, or otherwise open, to its group or others (mode & 0o077)', async () => {
    const copy = join(dir, 'root-open.jwk.json')
    writeFileSync(copy, JSON.stringify(rootPrivate), { mode: 0o600 })
    for (const [mode, what] of [
      [0o620, 'writable by its group (mode 0620)'],
      [0o602, 'writable by others (mode 0602)'],
      [0o660, 'readable and writable by its group (mode 0660)'],
      [0o601, 'open to others (mode 0601)'],
    ] as const) {
      chmodSync(copy, mode)
      const signed = await sw(['keys', 'sign', '--root', 'root-open.jwk.json', '--out', 'open.jwt', 'server.jwks.json'], { cwd: dir })
      expect(signed.code, signed.stderr).toBe(0)
      expect(signed.stderr).toContain(`warning: root-open.jwk.json holds a private key and is ${what}: chmod 600 'root-open.jwk.json'`)
    }
  })
})

describe('a client pinned to the root', () => {
  it('fetches the signed set, verifies it and seals to its keys (root pinned by thumbprint or JWK)', async () => {
    for (const jwksRoot of [thumbprint, publicRoot]) {
      const api = createClient({ baseUrl: origin, jwksRoot: jwksRoot as string })
      expect(await api.post('/api/whoami', { hello: 1 })).toMatchObject({ body: { hello: 1 } })
    }
  })

  it('keeps the plain JWK Set endpoint for clients without a root', async () => {
    const res = await fetch(`${origin}/.well-known/sealwire/jwks.json`)
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json')
    expect((await res.json()) as unknown).toEqual(ring.publicJwks())
    const signed = await fetch(`${origin}/.well-known/sealwire/jwks.jwt`)
    expect(signed.headers.get('content-type')).toBe('application/jwt')
    expect((await signed.text()).trim()).toBe(signedSet)
  })

  describe('refuses a TLS terminator that serves its own keys', () => {
    let terminator: Server
    let terminatorUrl: string
    /** What the terminator answers for the signed set. */
    let forged = ''
    beforeAll(async () => {
      terminator = createServer(async (req, res) => {
        if (req.url === '/.well-known/sealwire/jwks.jwt') {
          // no-store: a client refetches the set before every request, so each answer here is put to it.
          res.writeHead(200, { 'content-type': 'application/jwt', 'cache-control': 'no-store' }).end(forged)
          return
        }
        const chunks: Buffer[] = []
        for await (const c of req) chunks.push(c as Buffer)
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([n]) => n !== 'host' && n !== 'connection')) as Record<string, string>
        const upstream = await fetch(origin + req.url, { method: req.method, headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) })
        res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(Buffer.from(await upstream.arrayBuffer()))
      })
      terminatorUrl = await listen(terminator)
    })
    afterAll(async () => {
      await close(terminator)
    })

    const attempt = async (set: string) => {
      forged = set
      const before = apiHits.length
      const error = await caught(createClient({ baseUrl: terminatorUrl, jwksRoot: thumbprint }).post('/api/whoami', { secret: 'card 4111' }))
      expect(error.code).toBe('key_discovery_failed')
      // Nothing was sealed to the terminator's key, let alone sent.
      expect(apiHits.length).toBe(before)
      return error
    }

    it('an older set of ours, once the client has accepted a newer one: the rollback is refused, the client keeps the newer key', async () => {
      const now = Date.now()
      // The older set lists the current key; the newer one a key added since. Both genuine and unexpired.
      const older = await signKeySet(ring.publicJwks(), rootPrivate, { expiresInSeconds: 86_400, clock: () => now - 3_600_000 })
      const added = await generateKeyPair('X25519')
      await ring.add(added.privateJwk)
      try {
        const newer = await signKeySet([added.publicJwk], rootPrivate, { expiresInSeconds: 86_400, clock: () => now })
        const api = createClient({ baseUrl: terminatorUrl, jwksRoot: thumbprint })
        forged = newer
        expect(await api.post('/api/whoami', { n: 1 })).toMatchObject({ kid: added.publicJwk.kid })
        // A man in the middle (or a stale CDN edge) answers the refetch with the older set: not taken,
        // and the request still goes out, sealed to the newer set's key.
        forged = older
        expect(await api.post('/api/whoami', { n: 2 })).toMatchObject({ kid: added.publicJwk.kid, body: { n: 2 } })
        // A client that never saw the newer set takes the older one: the documented limit.
        expect(await createClient({ baseUrl: terminatorUrl, jwksRoot: thumbprint }).post('/api/whoami', { n: 3 })).not.toMatchObject({ kid: added.publicJwk.kid })
      } finally {
        ring.remove(added.publicJwk.kid)
      }
    })

    it('another set of ours with the same iat as the one accepted: refused, the client keeps the accepted key; the same set again is fine', async () => {
      const now = Date.now()
      const added = await generateKeyPair('X25519')
      await ring.add(added.privateJwk)
      try {
        const accepted = await signKeySet(ring.publicJwks(), rootPrivate, { expiresInSeconds: 86_400, clock: () => now })
        const same = await signKeySet(ring.publicJwks(), rootPrivate, { expiresInSeconds: 86_400, clock: () => now })
        const other = await signKeySet([added.publicJwk], rootPrivate, { expiresInSeconds: 86_400, clock: () => now })
        const api = createClient({ baseUrl: terminatorUrl, jwksRoot: thumbprint })
        forged = accepted
        const first = (await api.post('/api/whoami', { n: 1 })) as { kid: string }
        expect(first.kid).not.toBe(added.publicJwk.kid)
        // Signed again (a new signature), same keys, same iat: accepted as the same set.
        forged = same
        expect(await api.post('/api/whoami', { n: 2 })).toMatchObject({ kid: first.kid })
        // Same iat, other keys: not a newer set, so not taken.
        forged = other
        expect(await api.post('/api/whoami', { n: 3 })).toMatchObject({ kid: first.kid, body: { n: 3 } })
        // A client without a mark takes it (the documented limit, as for an older set).
        expect(await createClient({ baseUrl: terminatorUrl, jwksRoot: thumbprint }).post('/api/whoami', { n: 4 })).toMatchObject({ kid: added.publicJwk.kid })
      } finally {
        ring.remove(added.publicJwk.kid)
      }
    })

    it('a set whose header jwk carries the root private key, or whose header kid is not the root thumbprint', async () => {
      const { SignJWT, importJWK } = await import('jose')
      const key = await importJWK(rootPrivate, 'ES256')
      const now = Math.floor(Date.now() / 1000)
      const keys = JSON.parse(Buffer.from(signedSet.split('.')[1]!, 'base64url').toString('utf8')).keys as unknown[]
      const { d: _d, ...rootPublic } = rootPrivate
      const sign = (header: Record<string, unknown>) => new SignJWT({ keys }).setProtectedHeader({ alg: 'ES256', typ: 'sealwire-jwks+jwt', ...header }).setIssuedAt(now).setExpirationTime(now + 3600).sign(key)
      const leaked = await attempt(await sign({ kid: thumbprint, jwk: rootPrivate }))
      expect(leaked.message).toContain('the root key has leaked')
      expect(leaked.message).not.toContain(String(rootPrivate.d))
      expect((await attempt(await sign({ kid: thumbprint, jwk: { ...rootPublic, p: 'AQ' } }))).message).toContain('private key')
      for (const kid of [undefined, 'another-kid', ring.publicJwks().keys[0]!.kid]) {
        expect((await attempt(await sign({ ...(kid === undefined ? {} : { kid }), jwk: rootPublic }))).message).toContain('kid is not the thumbprint')
      }
    })

    it('its own set, signed by its own root', async () => {
      const theirs = await generateKeyPair('X25519')
      const theirRoot = await (await import('@sealwire/cli')).generateRootKey()
      const error = await attempt(await signKeySet([theirs.publicJwk], theirRoot.privateJwk, { expiresInSeconds: 86_400 }))
      expect(error.message).toContain('not by the pinned root')
    })

    it('its own keys re-signed under our root header, the real set with an edited payload, a plain JWK Set', async () => {
      const theirs = await generateKeyPair('P-256')
      const theirRoot = await (await import('@sealwire/cli')).generateRootKey()
      const [header] = signedSet.split('.')
      const body = Buffer.from(JSON.stringify({ keys: [theirs.publicJwk], iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')
      const theirSignature = (await signKeySet([theirs.publicJwk], theirRoot.privateJwk, { expiresInSeconds: 3600 })).split('.')[2]
      expect((await attempt(`${header}.${body}.${theirSignature}`)).message).toContain('does not verify')
      expect((await attempt(`${header}.${body}.${signedSet.split('.')[2]}`)).message).toContain('does not verify')
      await attempt(JSON.stringify({ keys: [theirs.publicJwk] }))
    })

    it('a set signed by our root but dated in the future, or valid for more than 366 days', async () => {
      const { SignJWT, importJWK } = await import('jose')
      const { d: _d, ...rootPublic } = rootPrivate
      const key = await importJWK(rootPrivate, 'ES256')
      const now = Math.floor(Date.now() / 1000)
      const keys = JSON.parse(Buffer.from(signedSet.split('.')[1]!, 'base64url').toString('utf8')).keys as unknown[]
      const sign = (iat: number, exp: number) =>
        new SignJWT({ keys }).setProtectedHeader({ alg: 'ES256', typ: 'sealwire-jwks+jwt', kid: thumbprint, jwk: rootPublic }).setIssuedAt(iat).setExpirationTime(exp).sign(key)
      expect((await attempt(await sign(now + 5 * 365 * 86_400, now + 10 * 365 * 86_400))).message).toContain('dated in the future')
      expect((await attempt(await sign(now - 60, now + 400 * 86_400))).message).toContain('more than 366 days')
    })

    it('passes when it forwards the real signed set (it then sees only ciphertext)', async () => {
      forged = signedSet
      expect(await createClient({ baseUrl: terminatorUrl, jwksRoot: thumbprint }).post('/api/whoami', { via: 'terminator' })).toMatchObject({ body: { via: 'terminator' } })
    })
  })

  it('refuses an expired set', async () => {
    const api = createClient({ baseUrl: origin, jwksRoot: thumbprint, clock: () => Date.now() + 8 * 86_400_000 })
    const error = await caught(api.post('/api/whoami', {}))
    expect(error.code).toBe('key_discovery_failed')
    expect(error.message).toContain('expired')
  })

  it('follows a key rotation without a new client: the operator re-signs, the client refetches on unknown_key', async () => {
    const api = createClient({ baseUrl: origin, jwksRoot: thumbprint })
    const before = (await api.post('/api/whoami', {})) as { kid: string }
    // Rotate: a new primary, the old key retired then removed; the operator signs the new set offline.
    const next = await generateKeyPair('X25519')
    await ring.add(next.privateJwk, { primary: true })
    for (const kid of ring.publicJwks().keys.map((k) => k.kid)) if (kid !== next.publicJwk.kid) ring.retire(kid)
    // Re-signed a second later, as an operator does: a different set under the same iat is refused as a rollback.
    signedSet = await signKeySet(ring.publicJwks(), rootPrivate, { expiresInSeconds: 86_400, clock: () => Date.now() + 1_000 })
    for (const { kid } of JSON.parse(readFileSync(join(dir, 'server.jwks.json'), 'utf8')).keys as Array<{ kid: string }>) ring.remove(kid)
    const after = (await api.post('/api/whoami', {})) as { kid: string }
    expect(after.kid).toBe(next.publicJwk.kid)
    expect(after.kid).not.toBe(before.kid)
  })
})

describe('the server', () => {
  it('refuses to start with a signed set listing a key it does not hold', async () => {
    const stranger = await generateKeyPair('P-256')
    const set = await signKeySet([stranger.publicJwk], rootPrivate, { expiresInSeconds: 3600 })
    const sealwire = createSealwireServer({ keys: await KeyRing.from([(await generateKeyPair('P-256')).privateJwk]), signedJwks: set })
    await expect(sealwire.ready).rejects.toThrow(/does not hold/)
  })

  it('starts with an expired signed set (the rest of the API must come up after a restart), says so once, and does not serve it', async () => {
    const own = await generateKeyPair('P-256')
    const set = await signKeySet([own.publicJwk], rootPrivate, { expiresInSeconds: 3600 })
    const logged: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void logged.push(line))
    try {
      const sealwire = createSealwireServer({ keys: await KeyRing.from([own.privateJwk]), signedJwks: set, clock: () => Date.now() + 2 * 3_600_000 })
      await sealwire.ready
      expect((await sealwire.jwks(sealwire.signedJwksPath)).status).toBe(500)
      expect((await sealwire.jwks(sealwire.jwksPath)).status).toBe(200)
    } finally {
      spy.mockRestore()
    }
    expect(logged).toEqual([expect.stringMatching(/^Sealwire: not serving the signed JWK Set: the signed set expired at .*sign a new one/)])
  })

  it('stops serving a set that expired, or lists a removed key, while it runs: a 500, and one line to the operator per problem', async () => {
    const own = await generateKeyPair('X25519')
    const next = await generateKeyPair('X25519')
    const ring = await KeyRing.from([own.privateJwk, next.privateJwk])
    const set = await signKeySet([own.publicJwk, next.publicJwk], rootPrivate, { expiresInSeconds: 3600 })
    let now = Date.now()
    const sealwire = createSealwireServer({ keys: ring, signedJwks: () => set, clock: () => now })
    await sealwire.ready
    const path = sealwire.signedJwksPath!
    expect((await sealwire.jwks(path)).status).toBe(200)
    const logged: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void logged.push(line))
    try {
      ring.remove(next.publicJwk.kid)
      for (let i = 0; i < 2; i++) {
        const refused = await sealwire.jwks(path)
        expect(refused.status).toBe(500)
        expect(refused.headers['content-type']).toBe('application/problem+json')
      }
      await ring.add(next.privateJwk)
      now += 2 * 3_600_000
      expect((await sealwire.jwks(path)).status).toBe(500)
    } finally {
      spy.mockRestore()
    }
    expect(logged).toEqual([
      expect.stringMatching(/^Sealwire: not serving the signed JWK Set: the signed set lists key ".+", which this server does not hold/),
      expect.stringMatching(/^Sealwire: not serving the signed JWK Set: the signed set expired at /),
    ])
  })
})
