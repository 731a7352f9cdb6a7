/**
 * What the server refuses of a sealed head (docs/PROTOCOL.md §3.5), over real
 * HTTPS on loopback, through every adapter: a field both sealed and in clear,
 * fields no hop may lose (host, framing), heads over the caps, the query on the
 * request line and sealed, a crit other than ["shd"]. Envelopes that break a
 * rule are sealed for real by hand (test/helpers/vectors.ts), so the one thing
 * wrong with each is the thing under test; each refusal spends no jti.
 */
import { MAX_SEALED_FIELDS, MAX_SEALED_HEAD_CHARS, sealRequest, type PublicJwk, type SealedRequest } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealEcdhEs, type EpkJwk } from '../helpers/vectors.js'
import type { RawResponse } from './helpers/http.js'
import { ENVELOPE_HEADER, JOSE_MEDIA_TYPE, openSealed, plainProblem, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'
import { testCertificate } from './helpers/tls.js'
import { expressHarness } from './harness/express.js'
import { fastifyHarness } from './harness/fastify.js'
import { fetchHarness } from './harness/fetch.js'
import { koaHarness } from './harness/koa.js'
import { lambdaHarness } from './harness/lambda.js'
import type { AdapterHarness, RunningApp } from './harness/spec.js'

const harnesses: AdapterHarness[] = [expressHarness, koaHarness, fastifyHarness, fetchHarness, lambdaHarness]

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))

/** A request sealed by hand: its reply context (to open the sealed refusal) and what to send. */
interface Handmade {
  sealed: SealedRequest
  jti: string
}

describe.each(harnesses)('the sealed head through the $name adapter', (harness) => {
  let keys: TestKeys
  let jwk: PublicJwk & { kid: string }
  let ca: string
  let app: RunningApp

  beforeAll(async () => {
    keys = await testKeys()
    jwk = keys.ring.publicJwks().keys.find((k) => k.crv === 'X25519') as PublicJwk & { kid: string }
    ca = (await testCertificate()).cert
    app = await harness.start(createSealwireServer({ keys: keys.ring, singleInstance: true }))
  })
  afterAll(async () => {
    await app?.close()
  })

  /** An envelope for `method target` whose protected header and plaintext are exactly these. */
  async function handmade(method: 'GET' | 'POST', target: string, header: Record<string, unknown>, members: Record<string, unknown>): Promise<Handmade> {
    const jti = b64u(random(16))
    const rk = random(32)
    const envelope = await sealEcdhEs(
      jwk as unknown as EpkJwk,
      (epk) => JSON.stringify({ alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: jwk.kid, epk, iat: Math.floor(Date.now() / 1000), jti, htm: method, htu: target, ...header }),
      JSON.stringify({ rk: b64u(rk), body: method === 'GET' ? null : {}, ...members }),
    )
    const sealed: SealedRequest =
      method === 'GET'
        ? { envelope, placement: 'header', headers: { [ENVELOPE_HEADER]: envelope }, httpBody: undefined, reply: { jti, rk } }
        : { envelope, placement: 'body', headers: { 'content-type': JOSE_MEDIA_TYPE }, httpBody: envelope, reply: { jti, rk } }
    return { sealed, jti }
  }

  const send = (method: string, target: string, sealed: SealedRequest, headers?: Record<string, string>) => sendSealed(app.secureUrl, method, target, sealed, { ca, ...(headers ? { headers } : {}) })

  /** A sealed problem with this status and code: the server held rk, so even the refusal is unreadable on the path. */
  async function expectSealedRefusal(res: RawResponse, sealed: SealedRequest, status: number, code: string): Promise<void> {
    expect(res.status).toBe(status)
    const opened = await openSealed<{ code: string; detail?: string }>(res, sealed)
    expect(opened.json).toMatchObject({ status, code })
    expect(opened.text).not.toMatch(/\n\s+at |stack/)
  }

  /** The same jti, now properly sealed with a head, is accepted: the refusal spent nothing. */
  async function expectUnspent(jti: string): Promise<void> {
    const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'POST', target: '/headers' }, body: {}, jti, head: { headers: [['x-api-key', 'k-after']] } })
    const res = await send('POST', '/headers', sealed)
    const opened = await openSealed<{ headers: Record<string, string> }>(res, sealed)
    expect(opened.status).toBe(200)
    expect(opened.json.headers['x-api-key']).toBe('k-after')
  }

  it('restores the sealed fields and query for the handler', async () => {
    const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target: '/headers' }, head: { headers: [['authorization', 'Bearer sealed']], query: 'q=1' } })
    const opened = await openSealed<{ headers: Record<string, string> }>(await send('GET', '/headers', sealed), sealed)
    expect(opened.status).toBe(200)
    expect(opened.json.headers.authorization).toBe('Bearer sealed')
  })

  it('a field both sealed and in clear: a sealed 400 invalid_sealed_head, and the envelope stays unspent', async () => {
    const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'POST', target: '/headers' }, body: {}, head: { headers: [['authorization', 'Bearer sealed']] } })
    await expectSealedRefusal(await send('POST', '/headers', sealed, { authorization: 'Bearer clear' }), sealed, 400, 'invalid_sealed_head')
    // The same bytes without the clear copy: accepted, so the refusal did not spend the jti.
    const opened = await openSealed<{ headers: Record<string, string> }>(await send('POST', '/headers', sealed), sealed)
    expect(opened.status).toBe(200)
    expect(opened.json.headers.authorization).toBe('Bearer sealed')
  })

  it.each([
    ['host', { host: 'admin.internal' }],
    ['content-length', { 'content-length': '0' }],
    ['transfer-encoding', { 'transfer-encoding': 'chunked' }],
    [`${MAX_SEALED_FIELDS + 1} fields`, Object.fromEntries(Array.from({ length: MAX_SEALED_FIELDS + 1 }, (_, i) => [`x-f${i}`, 'v']))],
    [`over ${MAX_SEALED_HEAD_CHARS} characters`, { 'x-big': 'v'.repeat(MAX_SEALED_HEAD_CHARS) }],
  ])('a sealed head with %s: a sealed 400 invalid_sealed_head, the jti unspent', async (_what, hdr) => {
    const { sealed, jti } = await handmade('POST', '/headers', { shd: 1, crit: ['shd'] }, { hdr })
    await expectSealedRefusal(await send('POST', '/headers', sealed), sealed, 400, 'invalid_sealed_head')
    await expectUnspent(jti)
  })

  it('the query both on the request line and sealed: a sealed 400 invalid_sealed_head', async () => {
    const { sealed, jti } = await handmade('GET', '/headers?q=2', { shd: 1, crit: ['shd'] }, { qry: 'q=1' })
    await expectSealedRefusal(await send('GET', '/headers?q=2', sealed), sealed, 400, 'invalid_sealed_head')
    await expectUnspent(jti)
  })

  it.each([
    ['crit naming another extension too', { shd: 1, crit: ['shd', 'exp'], exp: 1 }],
    ['crit without shd', { crit: ['b64'], b64: false }],
    ['crit with an unknown shd version', { shd: 2, crit: ['shd'] }],
  ])('%s: 400 unsupported_algorithm, before decryption (plain), the jti unspent', async (_what, header) => {
    const { sealed, jti } = await handmade('POST', '/headers', header, { hdr: { authorization: 'Bearer a' } })
    const res = await send('POST', '/headers', sealed)
    expect(res.status).toBe(400)
    expect(plainProblem(res)).toMatchObject({ status: 400, code: 'unsupported_algorithm' })
    expect(res.body).not.toContain('Bearer')
    await expectUnspent(jti)
  })

  it('a sealed refusal names the rule, never the value', async () => {
    const { sealed } = await handmade('POST', '/headers', { shd: 1, crit: ['shd'] }, { hdr: { host: 'admin.internal', authorization: 'Bearer t0p-secret' } })
    const res = await send('POST', '/headers', sealed)
    const opened = await openSealed<{ detail?: string }>(res, sealed)
    expect(opened.text).not.toMatch(/admin\.internal|t0p-secret/)
    expect(res.body).not.toMatch(/admin\.internal|t0p-secret/)
  })
})
