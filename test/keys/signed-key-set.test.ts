/**
 * Signed key sets (docs/PROTOCOL.md §2.1): signed by the CLI's root-key module,
 * verified by the client's lazily loaded verifier. A set verifies only with the
 * pinned root, unexpired, untouched, with the right typ.
 */
import { SignJWT, calculateJwkThumbprint, decodeProtectedHeader, importJWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_SIGNED_JWKS_LIFETIME_SECONDS, ROOT_SIGNING_ALG, SIGNED_JWKS_IAT_LEEWAY_SECONDS, SIGNED_JWKS_TYP, generateKeyPair, type PublicJwk } from '@sealwire/core'
import { generateRootKey, signKeySet, type RootKeyPair } from '@sealwire/cli'
import * as verifier from '../../packages/client/src/keys/verify-signed-set.js'

const { SignedKeySetRefused } = verifier
const verifyKeySet = (jwt: string, o: { root: verifier.VerifyKeySetOptions['root']; clock: () => number }) => verifier.verifyKeySet(jwt, { root: o.root, now: o.clock() })

const NOW = 1_800_000_000_000
const clock = () => NOW
const DAY = 86_400

let root: RootKeyPair
let other: RootKeyPair
let serverKeys: PublicJwk[]
beforeAll(async () => {
  root = await generateRootKey()
  other = await generateRootKey()
  serverKeys = [(await generateKeyPair('P-256')).publicJwk, (await generateKeyPair('X25519')).publicJwk]
})

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SignedKeySetRefused)
  return error as Error
}

describe('signKeySet / verifyKeySet', () => {
  it('the lazily loaded verifier and core agree on the constants', () => {
    expect([verifier.ROOT_SIGNING_ALG, verifier.SIGNED_JWKS_TYP, verifier.MAX_SIGNED_JWKS_LIFETIME_SECONDS, verifier.SIGNED_JWKS_IAT_LEEWAY_SECONDS]).toEqual([
      ROOT_SIGNING_ALG,
      SIGNED_JWKS_TYP,
      MAX_SIGNED_JWKS_LIFETIME_SECONDS,
      SIGNED_JWKS_IAT_LEEWAY_SECONDS,
    ])
  })

  it('round-trips with the root pinned as a JWK or as its thumbprint', async () => {
    const jwt = await signKeySet({ keys: serverKeys }, root.privateJwk, { expiresInSeconds: 7 * DAY, clock })
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', typ: 'sealwire-jwks+jwt', kid: root.thumbprint, jwk: { kty: 'EC', crv: 'P-256' } })
    expect(decodeProtectedHeader(jwt).jwk).not.toHaveProperty('d')
    for (const pin of [root.publicJwk, root.thumbprint]) {
      const verified = await verifyKeySet(jwt, { root: pin, clock })
      expect((verified.keys as PublicJwk[]).map((k) => k.kid)).toEqual(serverKeys.map((k) => k.kid))
      expect(verified.exp).toBe(NOW / 1000 + 7 * DAY)
      expect(verified.root).toBe(root.thumbprint)
    }
  })

  it('drops private members of the keys it signs', async () => {
    const { privateJwk } = await generateKeyPair('P-256')
    const jwt = await signKeySet([privateJwk], root.privateJwk, { expiresInSeconds: DAY, clock })
    expect(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).not.toContain(privateJwk.d)
  })

  it('refuses a set signed by another root (a proxy serving its own signed set)', async () => {
    const theirs = await signKeySet(serverKeys, other.privateJwk, { expiresInSeconds: DAY, clock })
    const error = await refusal(verifyKeySet(theirs, { root: root.thumbprint, clock }))
    expect(error.message).toContain('not by the pinned root')
  })

  it('refuses a set re-signed by another key under the pinned root jwk header', async () => {
    const rootPublic = { kty: 'EC', crv: 'P-256', x: root.publicJwk.x!, y: root.publicJwk.y! }
    // The header names our root, the signature is another key's: the signature check catches it.
    const forged = await new SignJWT({ keys: serverKeys })
      .setProtectedHeader({ alg: 'ES256', typ: 'sealwire-jwks+jwt', kid: await calculateJwkThumbprint(rootPublic), jwk: rootPublic })
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + DAY)
      .sign(await importJWK(other.privateJwk, 'ES256'))
    const error = await refusal(verifyKeySet(forged, { root: root.publicJwk, clock }))
    expect(error.message).toContain('does not verify')
  })

  it('refuses an expired set, and a set whose payload was edited', async () => {
    const jwt = await signKeySet(serverKeys, root.privateJwk, { expiresInSeconds: DAY, clock })
    const later = () => NOW + (DAY + 3600) * 1000
    expect((await refusal(verifyKeySet(jwt, { root: root.thumbprint, clock: later }))).message).toContain('expired')
    const [h, , s] = jwt.split('.')
    const edited = `${h}.${Buffer.from(JSON.stringify({ keys: [serverKeys[0]], iat: NOW / 1000, exp: NOW / 1000 + DAY })).toString('base64url')}.${s}`
    await refusal(verifyKeySet(edited, { root: root.thumbprint, clock }))
  })

  it('refuses what is not a signed set: a plain JWK Set, another typ, no embedded root, alg none', async () => {
    await refusal(verifyKeySet(JSON.stringify({ keys: serverKeys }), { root: root.thumbprint, clock }))
    const idToken = await new SignJWT({ keys: serverKeys })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: { kty: 'EC', crv: 'P-256', x: root.publicJwk.x!, y: root.publicJwk.y! } })
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + DAY)
      .sign(await importJWK(root.privateJwk, 'ES256'))
    await refusal(verifyKeySet(idToken, { root: root.thumbprint, clock }))
    const bare = await new SignJWT({ keys: serverKeys }).setProtectedHeader({ alg: 'ES256', typ: 'sealwire-jwks+jwt' }).setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + DAY).sign(await importJWK(root.privateJwk, 'ES256'))
    await refusal(verifyKeySet(bare, { root: root.thumbprint, clock }))
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'sealwire-jwks+jwt', jwk: { kty: 'EC', crv: 'P-256', x: root.publicJwk.x, y: root.publicJwk.y } })).toString('base64url')}.${Buffer.from(JSON.stringify({ keys: serverKeys, iat: NOW / 1000, exp: NOW / 1000 + DAY })).toString('base64url')}.`
    await refusal(verifyKeySet(none, { root: root.thumbprint, clock }))
  })

  it('refuses misuse with TypeError/RangeError', async () => {
    await expect(signKeySet([], root.privateJwk, { expiresInSeconds: DAY })).rejects.toThrow(TypeError)
    await expect(signKeySet(serverKeys, root.publicJwk, { expiresInSeconds: DAY })).rejects.toThrow(TypeError)
    await expect(signKeySet(serverKeys, root.privateJwk, { expiresInSeconds: 400 * DAY })).rejects.toThrow(RangeError)
  })
})
