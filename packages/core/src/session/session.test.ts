import { describe, expect, it } from 'vitest'
import { joseBackend } from '../crypto/jose-backend.js'
import { nodeBackend } from '../node/node-backend.js'
import { generateKeyPair } from '../keys/jwk.js'
import { KeyRing } from '../keys/key-ring.js'
import { importRecipientKey } from '../keys/recipient-key.js'
import { MemoryReplayStore } from '../replay/memory-replay-store.js'
import { openRequest } from '../protocol/open-request.js'
import { openResponse } from '../protocol/open-response.js'
import { sealRequest } from '../protocol/seal-request.js'
import { sealResponse } from '../protocol/seal-response.js'
import { decodeProtectedHeader } from '../protocol/compact.js'
import type { CryptoBackend } from '../crypto/backend.js'
import { acceptSession, offerSession } from './client-session.js'
import { establishSession } from './establish-session.js'
import { MemorySessionStore } from './memory-session-store.js'

const NOW = 1_800_000_000_000
const clock = () => NOW
const request = { method: 'POST', target: '/api/echo', origin: 'https://api.example.com' }

describe.each([
  ['node', nodeBackend],
  ['jose', joseBackend],
] as Array<[string, CryptoBackend]>)('sessions on the %s backend', (_name, backend) => {
  it.each(['X25519', 'P-256'] as const)('establishes on %s, then opens a request sealed within the session', async (crv) => {
    const { privateJwk, publicJwk } = await generateKeyPair(crv)
    const keyRing = await KeyRing.from([privateJwk], { backend })
    const recipient = await importRecipientKey(publicJwk, backend)
    const sessionStore = new MemorySessionStore({ clock })
    const replayStore = new MemoryReplayStore({ clock: () => NOW - 10_000 })
    const base = { keyRing, replayStore, request, clock, sessionStore }

    const offer = (await offerSession(recipient))!
    const first = await sealRequest({ recipient, request, body: { n: 1 }, offer, clock })
    expect(decodeProtectedHeader(first.envelope)).toMatchObject({ alg: 'ECDH-ES', ses: 1 })
    const opened = await openRequest(first.envelope, base)
    expect(opened.sessionOffer?.cpk).toEqual(offer.cpk)
    const announced = (await establishSession({ backend, store: sessionStore, kid: opened.claims.kid, crv, jti: opened.claims.jti, origin: opened.claims.hto ?? '', cpk: opened.sessionOffer!.cpk, exp: NOW / 1000 + 300 }))!
    const answer = await sealResponse({ reply: { ...opened.reply, session: announced }, status: 200, contentType: 'application/json', body: '{}', backend })
    const { session: ses } = await openResponse(answer, { reply: first.reply, status: 200, backend })
    const session = (await acceptSession(offer, ses, { jti: first.reply.jti, origin: request.origin, nowSeconds: NOW / 1000 }))!
    expect(session.sid).toBe(announced.sid)
    expect(session.secret).toEqual((await sessionStore.get(announced.sid))!.secret)

    const second = await sealRequest({ recipient, request, body: { n: 2 }, session, clock })
    const header = decodeProtectedHeader(second.envelope)
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM', sid: session.sid })
    expect(header).not.toHaveProperty('epk')
    expect(header).not.toHaveProperty('kid')
    const within = await openRequest(second.envelope, base)
    expect(within.body).toEqual({ n: 2 })
    expect(within.claims).toMatchObject({ sid: session.sid, kid: publicJwk.kid, crv })
    expect(within.sessionOffer).toBeUndefined()

    // Unknown without a store, expired by the server's clock, revoked, key removed: unknown_session, before decryption.
    const third = await sealRequest({ recipient, request, body: null, session, clock })
    await expect(openRequest(third.envelope, { ...base, sessionStore: undefined })).rejects.toMatchObject({ code: 'unknown_session', status: 400 })
    await expect(openRequest(third.envelope, { ...base, clock: () => NOW + 300_000 })).rejects.toMatchObject({ code: 'unknown_session' })
    await expect(openRequest(third.envelope, { ...base, origins: ['https://other.example.com'], request: { ...request, origin: 'https://other.example.com' } })).rejects.toMatchObject({ code: 'unknown_session' })
    await sessionStore.revokeAll()
    await expect(openRequest(third.envelope, base)).rejects.toMatchObject({ code: 'unknown_session' })
  })
})

describe('session requests: hostile input', () => {
  it('a tampered session request is decryption_failed; a malformed sid malformed_envelope; a failing store unknown_session', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('X25519')
    const keyRing = await KeyRing.from([privateJwk])
    const recipient = await importRecipientKey(publicJwk)
    const sessionStore = new MemorySessionStore({ clock })
    const sid = 'AAAAAAAAAAAAAAAAAAAAAA'
    await sessionStore.set(sid, { secret: new Uint8Array(32).fill(7), kid: publicJwk.kid, crv: 'X25519', origin: request.origin, exp: NOW / 1000 + 60 })
    const base = { keyRing, replayStore: new MemoryReplayStore({ clock: () => NOW - 10_000 }), request, clock, sessionStore }
    const wrong = await sealRequest({ recipient, request, body: 1, session: { sid, secret: new Uint8Array(32).fill(8) }, clock })
    await expect(openRequest(wrong.envelope, base)).rejects.toMatchObject({ code: 'decryption_failed' })
    const bad = await sealRequest({ recipient, request, body: 1, session: { sid: 'short', secret: new Uint8Array(32).fill(9) }, clock })
    await expect(openRequest(bad.envelope, base)).rejects.toMatchObject({ code: 'malformed_envelope' })
    // A record whose S was erased (zeros) is a session forgotten: unknown_session, so the client resends as v1.
    const erasedSid = 'BBBBBBBBBBBBBBBBBBBBBB'
    await sessionStore.set(erasedSid, { secret: new Uint8Array(32), kid: publicJwk.kid, crv: 'X25519', origin: request.origin, exp: NOW / 1000 + 60 })
    const toErased = await sealRequest({ recipient, request, body: 1, session: { sid: erasedSid, secret: new Uint8Array(32).fill(8) }, clock })
    await expect(openRequest(toErased.envelope, base)).rejects.toMatchObject({ code: 'unknown_session' })
    const broken = { get: () => Promise.reject(new Error('down')), set: () => Promise.resolve(), revokeAll: () => Promise.resolve() }
    await expect(openRequest(wrong.envelope, { ...base, sessionStore: broken })).rejects.toMatchObject({ code: 'unknown_session' })
  })

  it('an offer on another curve than the key, or not a point, establishes nothing', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('X25519')
    const keyRing = await KeyRing.from([privateJwk])
    const recipient = await importRecipientKey(publicJwk)
    const p256 = await importRecipientKey((await generateKeyPair('P-256')).publicJwk)
    const offer = (await offerSession(p256))!
    const sealed = await sealRequest({ recipient, request, body: 1, offer, clock })
    const opened = await openRequest(sealed.envelope, { keyRing, replayStore: new MemoryReplayStore({ clock: () => NOW - 10_000 }), request, clock })
    expect(opened.sessionOffer).toBeUndefined()
    const store = new MemorySessionStore({ clock })
    const lowOrder = { kty: 'OKP', crv: 'X25519', x: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } as const
    expect(await establishSession({ backend: keyRing.backend, store, kid: publicJwk.kid, crv: 'X25519', jti: sealed.reply.jti, origin: '', cpk: lowOrder, exp: NOW / 1000 + 60 })).toBeUndefined()
    expect(store.size).toBe(0)
  })
})

describe('MemorySessionStore', () => {
  it('forgets at expiry, overwrites the secret, and refuses past maxEntries', async () => {
    let now = NOW
    const store = new MemorySessionStore({ clock: () => now, maxEntries: 2 })
    const secret = new Uint8Array(32).fill(1)
    await store.set('a', { secret, kid: 'k', crv: 'X25519', origin: '', exp: NOW / 1000 + 10 })
    await store.set('b', { secret: new Uint8Array(32), kid: 'k', crv: 'X25519', origin: '', exp: NOW / 1000 + 20 })
    await expect(store.set('c', { secret: new Uint8Array(32), kid: 'k', crv: 'X25519', origin: '', exp: NOW / 1000 + 20 })).rejects.toThrow(/maxEntries/)
    now += 10_000
    expect(await store.get('a')).toBeUndefined()
    expect(secret.every((b) => b === 0)).toBe(true)
    await store.set('c', { secret: new Uint8Array(32), kid: 'k', crv: 'X25519', origin: '', exp: NOW / 1000 + 30 })
    expect(store.size).toBe(2)
  })
})
