import { KeyRing, generateKeyPair, type PublicJwk } from '@sealwire/core'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair as generateSigningKey, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSealwireServer } from './create-server.js'
import { signedSetProblem } from './signed-set.js'

const now = 1_800_000_000_000
const iat = now / 1000

interface Root {
  privateKey: CryptoKey
  jwk: JWK
  kid: string
}
async function makeRoot(): Promise<Root> {
  const { privateKey, publicKey } = await generateSigningKey('ES256', { extractable: true })
  const { kty, crv, x, y } = await exportJWK(publicKey)
  const jwk = { kty, crv, x, y } as JWK
  return { privateKey, jwk, kid: await calculateJwkThumbprint(jwk, 'sha256') }
}

let root: Root
let other: Root
let own: { publicJwk: PublicJwk }
let ring: KeyRing
beforeAll(async () => {
  root = await makeRoot()
  other = await makeRoot()
  own = await generateKeyPair('X25519')
  ring = await KeyRing.from([(own as unknown as { privateJwk: unknown }).privateJwk])
})

/** A set as `sealwire keys sign` makes it; `header` and `by` change what a faulty or hostile signer would. */
const sign = (payload: Record<string, unknown> = {}, header: Record<string, unknown> = {}, by: Root = root) =>
  new SignJWT({ keys: [own.publicJwk], iat, exp: iat + 3600, ...payload })
    .setProtectedHeader({ alg: 'ES256', typ: 'sealwire-jwks+jwt', kid: root.kid, jwk: root.jwk, ...header })
    .sign(by.privateKey)

const problemOf = async (jwt: string) => (await signedSetProblem(jwt, ring, now))?.message

describe('signedSetProblem', () => {
  it('accepts a current set of held keys, and names every date problem without throwing', async () => {
    expect(await problemOf(await sign())).toBeUndefined()
    expect(await problemOf(await sign({ exp: iat - 1 }))).toMatch(/^the signed set expired at 2027-/)
    // Out of Date's range, or not finite: a problem, not a RangeError.
    expect(await problemOf(await sign({ exp: -1e20 }))).toMatch(/expired at/)
    expect(await signedSetProblem(await sign({ exp: '1e400' }), ring, now)).toEqual({ message: expect.stringMatching(/no valid iat and exp/), dated: false })
    expect((await signedSetProblem(await sign({ exp: iat - 1 }), ring, now))?.dated).toBe(true)
    expect(await problemOf(await sign({ iat: iat + 3600, exp: iat + 7200 }))).toMatch(/dated in the future/)
    expect(await problemOf(await sign({ exp: iat + 367 * 86_400 }))).toMatch(/more than 366 days/)
    // A kid made to forge log lines comes out printable.
    const problem = (await problemOf(await sign({ keys: [{ kid: 'x\r\nSealwire: FAKE \u001b[2J' }] })))!
    expect(problem).toContain('"x??Sealwire:?FAKE??[2J"')
    expect(problem).not.toMatch(/[\r\n\u001b]/)
  })

  it('refuses what no pinned client accepts: a held kid with other key material, a bad signature, a misnamed or leaked root, another typ or alg', async () => {
    const stranger = (await generateKeyPair('X25519')).publicJwk
    expect(await problemOf(await sign({ keys: [{ ...stranger, kid: own.publicJwk.kid }] }))).toMatch(/other key material than the key this server holds/)
    const good = await sign()
    const [header, payload] = good.split('.')
    expect(await problemOf(`${header}.${payload}.${'A'.repeat(86)}`)).toMatch(/signature does not verify/)
    // Our root's header, another root's signature.
    expect(await problemOf(await sign({}, {}, other))).toMatch(/signature does not verify/)
    expect(await problemOf(await sign({}, { kid: other.kid }))).toMatch(/header kid is not the thumbprint/)
    expect(await problemOf(await sign({}, { kid: undefined }))).toMatch(/header kid is not the thumbprint/)
    const { d } = await exportJWK(root.privateKey)
    const leaked = (await problemOf(await sign({}, { jwk: { ...root.jwk, d } })))!
    expect(leaked).toMatch(/root key has leaked/)
    expect(leaked).not.toContain(d)
    expect(await problemOf(await sign({}, { typ: 'JWT' }))).toMatch(/not an ES256 sealwire-jwks\+jwt/)
    expect(await problemOf(await sign({}, { jwk: other.jwk, kid: other.kid }, other))).toBeUndefined() // another root: only clients know which one they pin
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'sealwire-jwks+jwt', kid: root.kid, jwk: root.jwk })).toString('base64url')}.${payload}.`
    expect(await problemOf(unsigned)).toMatch(/not an ES256/)
  })
})

describe('createSealwireServer({ signedJwks })', () => {
  it('refuses to start with a set no pinned client accepts, naming the fix', async () => {
    const jwt = await sign({}, {}, other)
    const server = createSealwireServer({ keys: ring, signedJwks: jwt })
    await expect(server.ready).rejects.toThrow(/^signedJwks: the signed set's signature does not verify .*sealwire keys sign/)
  })

  it('takes the file `sealwire keys sign --out` writes, newline included, and serves the set without it', async () => {
    const jwt = await sign({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 })
    for (const signedJwks of [`${jwt}\n`, () => ` ${jwt}\r\n`]) {
      const server = createSealwireServer({ keys: ring, signedJwks })
      await server.ready
      const res = await server.jwks(server.signedJwksPath)
      expect([res.status, res.body]).toEqual([200, jwt])
    }
  })
})
