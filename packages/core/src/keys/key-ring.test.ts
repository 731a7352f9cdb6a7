/**
 * KeyRing: several private keys, one primary advertised first, retire (still
 * opens, no longer advertised), remove (unknown_key), and the public JWK Set.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { SealwireError } from '../errors.js'
import { MemoryReplayStore } from '../replay/memory-replay-store.js'
import { openRequest } from '../protocol/open-request.js'
import { sealRequest } from '../protocol/seal-request.js'
import { generateKeyPair, type PrivateJwk, type PublicJwk } from './jwk.js'
import { KeyRing } from './key-ring.js'
import { importRecipientKey } from './recipient-key.js'

type Pair = { privateJwk: PrivateJwk; publicJwk: PublicJwk }
let a: Pair // P-256
let b: Pair // X25519
let c: Pair // P-256
beforeAll(async () => {
  ;[a, b, c] = await Promise.all([generateKeyPair('P-256'), generateKeyPair('X25519'), generateKeyPair('P-256')])
})

const request = { method: 'POST', target: '/k' }
/** Seals to `pair` and opens with `ring`: the body, or the error code. */
async function roundTrip(ring: KeyRing, pair: Pair): Promise<unknown> {
  const sealed = await sealRequest({ recipient: await importRecipientKey(pair.publicJwk), request, body: pair.publicJwk.kid })
  return openRequest(sealed.envelope, { keyRing: ring, request, replayStore: { checkAndSet: async () => true } }).then(
    (opened) => opened.body,
    (error: unknown) => (error instanceof SealwireError ? error.code : error),
  )
}
const kids = (ring: KeyRing) => ring.publicJwks().keys.map((k) => k.kid)

describe('KeyRing', () => {
  it('from() holds every key, the first primary, and opens for each', async () => {
    const ring = await KeyRing.from([a.privateJwk, b.privateJwk])
    expect(ring.primaryKid).toBe(a.publicJwk.kid)
    expect(ring.get(a.publicJwk.kid)).toMatchObject({ kid: a.publicJwk.kid, crv: 'P-256', retired: false, publicJwk: a.publicJwk })
    expect(ring.get(b.publicJwk.kid)).toMatchObject({ crv: 'X25519', retired: false })
    expect(ring.get('nope')).toBeUndefined()
    expect(await roundTrip(ring, a)).toBe(a.publicJwk.kid)
    expect(await roundTrip(ring, b)).toBe(b.publicJwk.kid)
    expect(await roundTrip(ring, c)).toBe('unknown_key')
  })

  it('from() accepts a private JWK Set object', async () => {
    const ring = await KeyRing.from({ keys: [b.privateJwk] })
    expect(ring.primaryKid).toBe(b.publicJwk.kid)
  })

  it('from() refuses an empty set with TypeError', async () => {
    await expect(KeyRing.from([])).rejects.toThrow(TypeError)
    await expect(KeyRing.from({ keys: [] })).rejects.toThrow(TypeError)
    await expect(KeyRing.from({} as never)).rejects.toThrow(TypeError)
  })

  it('add() returns the kid and makes a key primary only when asked (or first)', async () => {
    const ring = new KeyRing()
    expect(ring.primaryKid).toBeUndefined()
    expect(await ring.add(a.privateJwk)).toBe(a.publicJwk.kid)
    expect(await ring.add(b.privateJwk)).toBe(b.publicJwk.kid)
    expect(ring.primaryKid).toBe(a.publicJwk.kid)
    await ring.add(c.privateJwk, { primary: true })
    expect(ring.primaryKid).toBe(c.publicJwk.kid)
    expect(kids(ring)[0]).toBe(c.publicJwk.kid)
  })

  it('add() refuses with TypeError a kid that is not the thumbprint, or a public key', async () => {
    const ring = new KeyRing()
    await expect(ring.add({ ...a.privateJwk, kid: b.publicJwk.kid })).rejects.toThrow(TypeError)
    await expect(ring.add({ ...a.privateJwk, kid: 'primary-2024' })).rejects.toThrow(TypeError)
    await expect(ring.add(a.publicJwk)).rejects.toThrow(TypeError)
    expect(ring.publicJwks().keys).toEqual([])
  })

  it('add() refuses a private JWK whose public members are not the key of its d', async () => {
    // Otherwise the ring would advertise a public key no envelope could ever be opened for.
    const ring = new KeyRing()
    await expect(ring.add({ ...a.privateJwk, x: c.publicJwk.x, y: c.publicJwk.y, kid: undefined })).rejects.toThrow()
    expect(ring.get(c.publicJwk.kid)).toBeUndefined()
  })

  it('publicJwks() lists advertised keys, primary first, with use enc, alg ECDH-ES and no d', async () => {
    const ring = await KeyRing.from([a.privateJwk, b.privateJwk, c.privateJwk])
    ring.setPrimary(b.publicJwk.kid)
    const set = ring.publicJwks()
    expect(Object.keys(set)).toEqual(['keys'])
    expect(set.keys.map((k) => k.kid)).toEqual([b.publicJwk.kid, a.publicJwk.kid, c.publicJwk.kid])
    expect(set.keys).toEqual([b.publicJwk, a.publicJwk, c.publicJwk])
    for (const key of set.keys) {
      expect(key).toMatchObject({ use: 'enc', alg: 'ECDH-ES' })
      expect(key).not.toHaveProperty('d')
      expect(Object.keys(key).sort()).toEqual(key.kty === 'EC' ? ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'] : ['alg', 'crv', 'kid', 'kty', 'use', 'x'])
    }
    expect(JSON.stringify(set)).not.toContain(a.privateJwk.d)
    // Copies: editing the served set does not edit the ring.
    set.keys[0]!.x = 'tampered'
    expect(ring.publicJwks().keys[0]!.x).toBe(b.publicJwk.x)
  })

  it('retire(): still opens, no longer advertised, cannot be primary', async () => {
    const ring = await KeyRing.from([a.privateJwk, b.privateJwk])
    ring.retire(b.publicJwk.kid)
    expect(kids(ring)).toEqual([a.publicJwk.kid])
    expect(ring.get(b.publicJwk.kid)?.retired).toBe(true)
    expect(await roundTrip(ring, b)).toBe(b.publicJwk.kid)
    expect(() => ring.setPrimary(b.publicJwk.kid)).toThrow(TypeError)
    expect(() => ring.retire(a.publicJwk.kid)).toThrow(TypeError) // the primary
    expect(() => ring.retire('unknown')).toThrow(TypeError)
  })

  it('remove(): envelopes for the key answer unknown_key; the primary cannot be removed', async () => {
    const ring = await KeyRing.from([a.privateJwk, b.privateJwk])
    ring.retire(b.publicJwk.kid)
    ring.remove(b.publicJwk.kid)
    expect(ring.get(b.publicJwk.kid)).toBeUndefined()
    expect(await roundTrip(ring, b)).toBe('unknown_key')
    expect(() => ring.remove(a.publicJwk.kid)).toThrow(TypeError)
    expect(() => ring.remove(b.publicJwk.kid)).toThrow(TypeError)
  })

  it('rotates: new primary, retire the old one, then remove it', async () => {
    const ring = await KeyRing.from([a.privateJwk])
    await ring.add(c.privateJwk, { primary: true })
    ring.retire(a.publicJwk.kid)
    expect(kids(ring)).toEqual([c.publicJwk.kid])
    expect(await roundTrip(ring, a)).toBe(a.publicJwk.kid)
    ring.remove(a.publicJwk.kid)
    expect(await roundTrip(ring, a)).toBe('unknown_key')
    expect(await roundTrip(ring, c)).toBe(c.publicJwk.kid)
  })

  it('privateJwks() persists the ring and rebuilds it', async () => {
    const ring = await KeyRing.from([a.privateJwk, b.privateJwk])
    const saved = ring.privateJwks()
    expect(saved.keys).toEqual([a.privateJwk, b.privateJwk])
    const restored = await KeyRing.from(saved)
    expect(restored.publicJwks()).toEqual(ring.publicJwks())
  })

  it('privateJwks() restores primary, active and retired keys exactly, after a rotation', async () => {
    const ring = await KeyRing.from([a.privateJwk, b.privateJwk])
    await ring.add(c.privateJwk, { primary: true }) // rotate: a new P-256 primary…
    ring.retire(a.publicJwk.kid) // …and the old one retired
    const saved = ring.privateJwks()
    // Primary first, then the advertised, then the retired, marked.
    expect(saved.keys).toEqual([c.privateJwk, b.privateJwk, { ...a.privateJwk, retired: true }])
    const restored = await KeyRing.from(JSON.parse(JSON.stringify(saved)))
    expect(restored.primaryKid).toBe(c.publicJwk.kid)
    expect(kids(restored)).toEqual([c.publicJwk.kid, b.publicJwk.kid]) // the retired key is not advertised again
    expect(restored.get(a.publicJwk.kid)?.retired).toBe(true)
    expect(await roundTrip(restored, a)).toBe(a.publicJwk.kid) // and still opens
    expect(restored.privateJwks()).toEqual(saved)
  })

  it('from(): the first key not retired is primary; a set of only retired keys, or a bad marker, is refused', async () => {
    const ring = await KeyRing.from([{ ...a.privateJwk, retired: true }, b.privateJwk])
    expect([ring.primaryKid, kids(ring)]).toEqual([b.publicJwk.kid, [b.publicJwk.kid]])
    await expect(KeyRing.from([{ ...a.privateJwk, retired: true }])).rejects.toThrow(TypeError)
    await expect(KeyRing.from([{ ...a.privateJwk, retired: 'yes' }])).rejects.toThrow(/retired must be true or false/)
  })

  it("a retired key's envelopes still go through replay protection", async () => {
    const ring = await KeyRing.from([a.privateJwk, b.privateJwk])
    ring.retire(b.publicJwk.kid)
    const sealed = await sealRequest({ recipient: await importRecipientKey(b.publicJwk), request, body: 1 })
    // A store up for a minute, so that its start is no reason to refuse.
    let first = true
    const store = new MemoryReplayStore({ clock: () => (first ? ((first = false), Date.now() - 60_000) : Date.now()) })
    await openRequest(sealed.envelope, { keyRing: ring, request, replayStore: store })
    await expect(openRequest(sealed.envelope, { keyRing: ring, request, replayStore: store })).rejects.toMatchObject({ code: 'replayed_request' })
  })
})
