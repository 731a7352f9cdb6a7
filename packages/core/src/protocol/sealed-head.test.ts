/**
 * The sealed head (docs/PROTOCOL.md §3.5, §4.1): header fields and the query
 * inside the envelope, response fields inside the sealed answer. What is on
 * the wire, what the server restores, and every refusal, on both backends.
 * Crafted envelopes are sealed for real (test/helpers/vectors.ts), so the one
 * thing wrong with each is the thing under test.
 */
import { CompactEncrypt, base64url, compactDecrypt } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { sealEcdhEs, type EpkJwk } from '../../../../test/helpers/vectors.js'
import { joseBackend } from '../crypto/jose-backend.js'
import { nodeBackend } from '../node/node-backend.js'
import type { CryptoBackend } from '../crypto/backend.js'
import { SealwireError } from '../errors.js'
import { generateKeyPair, type PrivateJwk, type PublicJwk } from '../keys/jwk.js'
import { KeyRing } from '../keys/key-ring.js'
import { importRecipientKey, type RecipientKey } from '../keys/recipient-key.js'
import { MemoryReplayStore } from '../replay/memory-replay-store.js'
import { decodeProtectedHeader } from './compact.js'
import { openRequest } from './open-request.js'
import { openResponse } from './open-response.js'
import { replyContextOf } from './reply-errors.js'
import { sealRequest } from './seal-request.js'
import { sealResponse } from './seal-response.js'
import { MAX_SEALED_FIELDS, MAX_SEALED_HEAD_CHARS, checkSealedHead, unsealableReason } from './sealed-head.js'

const NOW = 1_700_000_000_000
const clock = () => NOW
const storeClock = () => NOW - 60_000
const b64uText = (s: string) => base64url.encode(new TextEncoder().encode(s))

let jwk: PublicJwk & { kid: string }
let priv: PrivateJwk
let recipients: Record<'jose' | 'node', RecipientKey>
let rings: Record<'jose' | 'node', KeyRing>
const BACKENDS: Array<['jose' | 'node', CryptoBackend]> = [
  ['jose', joseBackend as CryptoBackend],
  ['node', nodeBackend as CryptoBackend],
]

beforeAll(async () => {
  const pair = await generateKeyPair('X25519')
  priv = pair.privateJwk
  jwk = pair.publicJwk as PublicJwk & { kid: string }
  recipients = { jose: await importRecipientKey(jwk, joseBackend as CryptoBackend), node: await importRecipientKey(jwk, nodeBackend as CryptoBackend) }
  rings = { jose: await KeyRing.from([priv], { backend: joseBackend as CryptoBackend }), node: await KeyRing.from([priv], { backend: nodeBackend as CryptoBackend }) }
})

const open = (envelope: string, backend: 'jose' | 'node', extra: { target?: string; clear?: string[] } = {}) =>
  openRequest(envelope, {
    keyRing: rings[backend],
    replayStore: new MemoryReplayStore({ clock: storeClock }),
    request: { method: 'GET', target: extra.target ?? '/api/search' },
    clock,
    hasClearHeader: (name) => (extra.clear ?? []).includes(name),
  })

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    if (err instanceof SealwireError) return err.code
    throw err
  }
  return 'accepted'
}

/** An envelope whose header and plaintext are exactly these (a client that does not follow the rules). */
async function crafted(header: Record<string, unknown>, plaintext: Record<string, unknown>): Promise<string> {
  return sealEcdhEs(jwk as unknown as EpkJwk, (epk) => JSON.stringify({ alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: jwk.kid, iat: NOW / 1000, jti: b64uText('j'.repeat(16)), htm: 'GET', htu: '/api/search', epk, ...header }), JSON.stringify(plaintext))
}
const RK = base64url.encode(new Uint8Array(32).fill(7))

describe.each(BACKENDS)('the sealed head, %s backend', (name) => {
  it('carries Authorization and the query inside: the wire shows the path only, the server restores both', async () => {
    const sealed = await sealRequest({
      recipient: recipients[name],
      request: { method: 'GET', target: '/api/search' },
      clock,
      head: { headers: [['authorization', 'Bearer demo-token'], ['x-api-key', 'k-123']], query: 'q=secret%20plan' },
    })
    // Nothing readable names them: the protected header, the envelope header value.
    const header = decodeProtectedHeader(sealed.envelope)
    expect(header).toMatchObject({ htu: '/api/search', shd: 1, crit: ['shd'] })
    for (const secret of ['demo-token', 'k-123', 'secret']) expect(JSON.stringify(header)).not.toContain(secret)
    const opened = await open(sealed.envelope, name)
    expect(opened.head).toEqual({ headers: [['authorization', 'Bearer demo-token'], ['x-api-key', 'k-123']], query: 'q=secret%20plan', target: '/api/search?q=secret%20plan' })
    expect(opened.reply.sealsHead).toBe(true)
  })

  it('announces the head without crit when it carries nothing, and sends no shd when the caller gives no head', async () => {
    const empty = await sealRequest({ recipient: recipients[name], request: { method: 'GET', target: '/api/search?q=open' }, clock, head: {} })
    expect(decodeProtectedHeader(empty.envelope)).toMatchObject({ shd: 1, htu: '/api/search?q=open' })
    expect(decodeProtectedHeader(empty.envelope)).not.toHaveProperty('crit')
    expect((await open(empty.envelope, name, { target: '/api/search?q=open' })).head).toEqual({ headers: [], query: undefined, target: '/api/search?q=open' })
    const v1 = await sealRequest({ recipient: recipients[name], request: { method: 'GET', target: '/api/search' }, clock })
    expect(decodeProtectedHeader(v1.envelope)).not.toHaveProperty('shd')
    const opened = await open(v1.envelope, name)
    expect(opened.head).toBeUndefined()
    expect(opened.reply.sealsHead).toBeUndefined()
  })

  it('binds the sealed query with the path: moved onto another path, or with a query on the wire too, it is refused', async () => {
    const sealed = await sealRequest({ recipient: recipients[name], request: { method: 'GET', target: '/api/search' }, clock, head: { query: 'q=1' } })
    expect(await codeOf(open(sealed.envelope, name, { target: '/api/admin' }))).toBe('binding_mismatch')
    expect(await codeOf(open(sealed.envelope, name, { target: '/api/search?q=1' }))).toBe('binding_mismatch')
    const both = await crafted({ htu: '/api/search?q=2', shd: 1, crit: ['shd'] }, { rk: RK, body: null, qry: 'q=1' })
    expect(await codeOf(open(both, name, { target: '/api/search?q=2' }))).toBe('invalid_sealed_head')
  })

  it('refuses a field sent both sealed and in clear, without spending the jti', async () => {
    const sealed = await sealRequest({ recipient: recipients[name], request: { method: 'GET', target: '/api/search' }, clock, head: { headers: [['authorization', 'Bearer a']] } })
    const store = new MemoryReplayStore({ clock: storeClock })
    const base = { keyRing: rings[name], replayStore: store, request: { method: 'GET', target: '/api/search' }, clock }
    const refused = await openRequest(sealed.envelope, { ...base, hasClearHeader: (n) => n === 'authorization' }).catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'invalid_sealed_head', status: 400 })
    // Answered sealed (the server holds rk), and the same envelope is still unspent.
    expect(replyContextOf(refused)).toBeDefined()
    await expect(openRequest(sealed.envelope, { ...base, hasClearHeader: () => false })).resolves.toBeDefined()
  })

  it('refuses fields that must never be sealed, bad names and values, and heads over the caps', async () => {
    const cases: Array<Record<string, unknown>> = [
      { hdr: { host: 'b.example' } },
      { hdr: { 'content-length': '5' } },
      { hdr: { 'transfer-encoding': 'chunked' } },
      { hdr: { connection: 'close' } },
      { hdr: { ':authority': 'b.example' } },
      { hdr: { 'sealwire-envelope': 'x' } },
      { hdr: { 'x-forwarded-host': 'b.example' } },
      { hdr: { 'x-http-method-override': 'DELETE' } },
      { hdr: { 'if-none-match': '"abc"' } },
      { hdr: { Authorization: 'upper-case name' } },
      { hdr: { authorization: 'a\r\nx-injected: 1' } },
      { hdr: { authorization: 7 } },
      { hdr: ['authorization', 'a'] },
      { hdr: Object.fromEntries(Array.from({ length: MAX_SEALED_FIELDS + 1 }, (_, i) => [`x-f${i}`, 'v'])) },
      { hdr: { 'x-big': 'v'.repeat(MAX_SEALED_HEAD_CHARS) } },
      { qry: 'q=1#frag' },
      { qry: 'q=a b' },
      { qry: 7 },
    ]
    for (const members of cases) {
      const envelope = await crafted({ shd: 1, crit: ['shd'] }, { rk: RK, body: null, ...members })
      expect(await codeOf(open(envelope, name)), JSON.stringify(members).slice(0, 80)).toBe('invalid_sealed_head')
    }
  })

  it('refuses a head the protected header does not announce, and a crit other than ["shd"]', async () => {
    expect(await codeOf(open(await crafted({}, { rk: RK, body: null, hdr: { authorization: 'a' } }), name))).toBe('invalid_sealed_head')
    for (const header of [{ crit: ['shd'] }, { shd: 2, crit: ['shd'] }, { shd: 1, crit: ['shd', 'exp'], exp: 1 }, { shd: 1, crit: [] }, { shd: 1, crit: 'shd' }]) {
      expect(await codeOf(open(await crafted(header, { rk: RK, body: null }), name)), JSON.stringify(header)).toBe('unsupported_algorithm')
    }
  })

  it('seals response fields inside the answer, bound by its AAD, and opens them', async () => {
    const reply = { jti: b64uText('r'.repeat(16)), rk: new Uint8Array(32).fill(9), sealsHead: true }
    const backend = BACKENDS.find(([n]) => n === name)![1]
    const jwe = await sealResponse({ reply, status: 302, contentType: 'text/plain', body: 'moved', headers: [['location', '/api/items/7?token=t0p'], ['retry-after', '30']], backend })
    expect(JSON.stringify(decodeProtectedHeader(jwe))).not.toContain('t0p')
    const opened = await openResponse(jwe, { reply, status: 302, backend })
    expect(opened.headers).toEqual([['location', '/api/items/7?token=t0p'], ['retry-after', '30']])
    // Another answer's fields cannot be moved in: the outer header is the AAD.
    const other = await sealResponse({ reply, status: 200, contentType: 'text/plain', body: 'x', headers: [['location', '/evil']], backend })
    const [h] = jwe.split('.')
    const swapped = JSON.parse(new TextDecoder().decode(base64url.decode(h!))) as Record<string, unknown>
    swapped.shd = decodeProtectedHeader(other).shd
    const forged = [base64url.encode(JSON.stringify(swapped)), ...jwe.split('.').slice(1)].join('.')
    await expect(openResponse(forged, { reply, status: 302, backend })).rejects.toMatchObject({ code: 'response_decryption_failed' })
  })
})

describe('sealed head rules', () => {
  it('a third-party JOSE library opens the sealed response fields with rk, and can seal a request with crit shd', async () => {
    const reply = { jti: b64uText('r'.repeat(16)), rk: new Uint8Array(32).fill(3), sealsHead: true }
    const jwe = await sealResponse({ reply, status: 200, contentType: 'application/json', body: '{}', headers: [['link', '</next>; rel="next"']] })
    const inner = decodeProtectedHeader(jwe).shd as string
    const { plaintext, protectedHeader } = await compactDecrypt(inner, reply.rk)
    expect(protectedHeader).toMatchObject({ alg: 'dir', enc: 'A256GCM', typ: 'sealwire-hdr+jwe' })
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ link: '</next>; rel="next"' })

    const key = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, { name: 'X25519' }, false, [])
    const envelope = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ rk: RK, body: null, hdr: { authorization: 'Bearer jose' }, qry: 'q=jose' })))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: jwk.kid, iat: NOW / 1000, jti: b64uText('z'.repeat(16)), htm: 'GET', htu: '/api/search', shd: 1, crit: ['shd'] })
      .encrypt(key, { crit: { shd: true } })
    for (const [n] of BACKENDS) expect((await open(envelope, n)).head?.target).toBe('/api/search?q=jose')
  })

  it('sealRequest and sealResponse refuse what a server would refuse, naming it', async () => {
    const recipient = recipients.node
    const seal = (head: Parameters<typeof sealRequest>[0]['head'], target = '/api/x') => sealRequest({ recipient, request: { method: 'GET', target }, clock, head })
    await expect(seal({ headers: [['host', 'b']] })).rejects.toThrow(/"host" cannot be sealed/)
    await expect(seal({ headers: [['authorization', 'a\nb']] })).rejects.toThrow(TypeError)
    await expect(seal({ query: 'q=1' }, '/api/x?q=2')).rejects.toThrow(/path alone/)
    await expect(seal({ headers: [['x-big', 'v'.repeat(MAX_SEALED_HEAD_CHARS)]] })).rejects.toThrow(RangeError)
    const reply = { jti: b64uText('r'.repeat(16)), rk: new Uint8Array(32) }
    expect(() => sealResponse({ reply, status: 200, contentType: 'text/plain', body: '', headers: [['location', '/x']] })).toThrow(/did not announce/)
    expect(() => sealResponse({ reply: { ...reply, sealsHead: true }, status: 200, contentType: 'text/plain', body: '', headers: [['set-cookie', 'a=b']] })).toThrow(/cannot be sealed/)
  })

  it('what fits in a GET: a 1 KiB bearer token, an API key and a 512-character query stay under 4 KiB of envelope', async () => {
    const sealed = await sealRequest({
      recipient: recipients.node,
      request: { method: 'GET', target: '/api/search' },
      clock,
      head: { headers: [['authorization', `Bearer ${'t'.repeat(1024)}`], ['x-api-key', 'k'.repeat(64)]], query: `q=${'s'.repeat(510)}` },
    })
    expect(sealed.placement).toBe('header')
    expect(sealed.envelope.length).toBeLessThan(4096)
  })

  it('names which fields never travel sealed, by direction', () => {
    expect(unsealableReason('authorization', 'request')).toBeUndefined()
    expect(unsealableReason('cookie', 'request')).toBeUndefined()
    expect(unsealableReason('location', 'response')).toBeUndefined()
    for (const n of ['set-cookie', 'date', 'vary', 'cache-control', 'access-control-allow-origin']) expect(unsealableReason(n, 'response'), n).toBeDefined()
    expect(checkSealedHead({ 'set-cookie': 'a=b' }, undefined, 'response')).toHaveProperty('problem')
  })
})
