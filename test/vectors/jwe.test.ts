/**
 * Wycheproof JSON Web Encryption vectors (RFC 7520 figures included) against
 * Sealwire's v1 profile.
 *
 * - Core's crypto backend (`joseBackend`, jose with Sealwire's allow-lists) opens
 *   every valid case inside the profile (ECDH-ES + A256GCM, no `zip`) to its
 *   plaintext, and refuses every other case: outside the profile or invalid,
 *   even when handed the right key.
 * - Raw jose, pinned to each key's own algorithm, opens every valid case it
 *   supports: proof that the refusals above come from the allow-list, not from
 *   vectors jose cannot read. RFC 7520 §5.5 (ECDH-ES, Figure 128) is one of them.
 * - `openRequest` answers every case with the code the check order names:
 *   `unsupported_algorithm` for a foreign alg/enc/zip, `malformed_envelope`
 *   for anything that is not a compact JWE with a Sealwire header.
 */
import { KeyRing, MemoryReplayStore, SealwireError, generateKeyPair, joseBackend, openRequest } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'
import { compactDecrypt, importJWK, type JWK } from 'jose'
import { beforeAll, expect, it } from 'vitest'
import { allTests, describeWycheproof, fromB64u, toHex, type WycheproofFile, type WycheproofGroup, type WycheproofTest } from '../helpers/vectors.js'

interface JweTest extends WycheproofTest {
  jwe: string
  pt?: string
  enc: string
}
interface JweGroup extends WycheproofGroup<JweTest> {
  private: JWK & { alg: string }
}
type JweFile = WycheproofFile<JweGroup>

const CONTENT_ALGS = new Set(['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'])
/** The key management algorithm a key is pinned to: an oct key labelled with an `enc` value is a `dir` key. */
const keyAlg = (jwk: JweGroup['private']) => (CONTENT_ALGS.has(jwk.alg) ? 'dir' : jwk.alg)

function headerOf(jwe: string): Record<string, unknown> | undefined {
  try {
    const parts = jwe.split('.')
    if (parts.length !== 5) return undefined
    const header: unknown = JSON.parse(new TextDecoder().decode(fromB64u(parts[0]!)))
    return typeof header === 'object' && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Inside Sealwire's request profile: compact, ECDH-ES, A256GCM, no zip. */
const inRequestProfile = (h: Record<string, unknown> | undefined) => h !== undefined && h.alg === 'ECDH-ES' && h.enc === 'A256GCM' && !('zip' in h) && !('crit' in h)

/** The key as the group's own algorithm would import it; the JWK itself where jose cannot (RSA1_5 left jose in v6). */
async function keyFor(group: JweGroup): Promise<CryptoKey | Uint8Array | JWK> {
  try {
    return await importJWK(group.private, keyAlg(group.private))
  } catch {
    return group.private
  }
}

describeWycheproof<JweFile>('json_web_encryption_test.json', 'Wycheproof JWE vectors against the Sealwire v1 profile', (file) => {
  const cases = allTests(file)
  const keys = new Map<JweGroup, CryptoKey | Uint8Array | JWK>()
  beforeAll(async () => {
    for (const group of file.testGroups) keys.set(group, await keyFor(group))
  })

  it('holds the cases this suite was written for', () => {
    expect(cases).toHaveLength(file.numberOfTests)
    // The one valid case inside the v1 profile; if the file grows, this suite should look again.
    expect(cases.filter(({ test }) => test.result === 'valid' && inRequestProfile(headerOf(test.jwe))).map(({ test }) => test.tcId)).toEqual([78])
  })

  it("core's backend opens the valid in-profile cases to their plaintext and refuses every other case", async () => {
    const opened: number[] = []
    const wronglyOpened: number[] = []
    for (const { group, test } of cases) {
      const expectOpen = test.result === 'valid' && inRequestProfile(headerOf(test.jwe))
      let plaintext: Uint8Array | undefined
      try {
        plaintext = await joseBackend.openWithPrivateKey(test.jwe, keys.get(group) as CryptoKey)
      } catch {
        plaintext = undefined
      }
      if (expectOpen) {
        expect(plaintext && toHex(plaintext), `tcId ${test.tcId}`).toBe(test.pt)
        opened.push(test.tcId)
      } else if (plaintext !== undefined) wronglyOpened.push(test.tcId)
    }
    expect(wronglyOpened).toEqual([])
    expect(opened).toEqual([78])
  })

  it('the node backend gives every case the verdict jose gives: the same plaintext or a refusal', async () => {
    const verdict = (p: Promise<Uint8Array>) => p.then(toHex, () => 'refused')
    let compared = 0
    const differ: string[] = []
    for (const { group, test } of cases) {
      const k = group.private
      if (k.kty === 'EC' && k.crv === 'P-256') {
        const [jose, native] = await Promise.all([
          verdict(joseBackend.openWithPrivateKey(test.jwe, await joseBackend.importPrivateKey(k))),
          verdict(nodeBackend.openWithPrivateKey(test.jwe, await nodeBackend.importPrivateKey(k))),
        ])
        if (jose !== native) differ.push(`tcId ${test.tcId}: jose ${jose}, node ${native}`)
        compared++
      } else if (k.kty === 'oct' && fromB64u(k.k!).length === 32) {
        const secret = fromB64u(k.k!)
        const [jose, native] = await Promise.all([verdict(joseBackend.openWithSecret(test.jwe, secret)), verdict(nodeBackend.openWithSecret(test.jwe, secret))])
        if (jose !== native) differ.push(`tcId ${test.tcId}: jose ${jose}, node ${native}`)
        compared++
      }
    }
    expect(differ).toEqual([])
    expect(compared).toBeGreaterThan(80)
  })

  it("core's response backend (dir + A256GCM) refuses every case, the RFC 7520 dir + A128GCM figure included", async () => {
    const octGroups = file.testGroups.filter((g) => g.private.kty === 'oct')
    let tried = 0
    for (const group of octGroups) {
      const secret = fromB64u(group.private.k!)
      for (const test of group.tests) {
        tried++
        await expect(joseBackend.openWithSecret(test.jwe, secret), `tcId ${test.tcId}`).rejects.toThrow()
      }
    }
    expect(tried).toBeGreaterThan(40)
  })

  it('raw jose, pinned to each key algorithm, opens every valid case it supports and refuses every invalid one', async () => {
    const unsupported: number[] = []
    for (const { group, test } of cases) {
      const key = keys.get(group)
      const options = { keyManagementAlgorithms: [keyAlg(group.private)] }
      if (test.result === 'valid') {
        if (key === group.private) {
          unsupported.push(test.tcId)
          continue
        }
        const { plaintext } = await compactDecrypt(test.jwe, key as Uint8Array, options)
        expect(toHex(plaintext), `tcId ${test.tcId}`).toBe(test.pt)
      } else {
        await expect(compactDecrypt(test.jwe, key as Uint8Array, options), `tcId ${test.tcId}`).rejects.toThrow()
      }
    }
    // jose 6 dropped RSA1_5 (RFC 8725 §3.2 advises against it): those valid cases cannot be checked here.
    expect(unsupported.every((id) => headerOf(cases.find(({ test }) => test.tcId === id)!.test.jwe)?.alg === 'RSA1_5')).toBe(true)
  })

  it('RFC 7520 §5.5 (ECDH-ES, Figure 128) opens with raw jose and is refused by the v1 allow-list', async () => {
    const found = cases.find(({ group, test }) => group.comment === 'rfc_7520' && test.comment === 'Figure128')
    expect(found, 'RFC 7520 Figure 128 in the vector file').toBeDefined()
    const { group, test } = found!
    expect(headerOf(test.jwe)).toMatchObject({ alg: 'ECDH-ES', kid: 'meriadoc.brandybuck@buckland.example', enc: 'A128CBC-HS256' })
    const key = await importJWK(group.private, 'ECDH-ES')
    const { plaintext } = await compactDecrypt(test.jwe, key)
    expect(new TextDecoder().decode(plaintext)).toMatch(/^You can trust us to stick with you through thick and thin.to the bitter end\./)
    await expect(joseBackend.openWithPrivateKey(test.jwe, key)).rejects.toThrow()
  })

  it('RFC 7520 §5.9 (zip DEF, Figure 170) inflates in raw jose but never in core', async () => {
    const found = cases.find(({ test }) => test.comment === 'Figure170')!
    expect(headerOf(found.test.jwe)).toMatchObject({ zip: 'DEF' })
    const key = keys.get(found.group) as Uint8Array
    expect(toHex((await compactDecrypt(found.test.jwe, key)).plaintext)).toBe(found.test.pt)
    await expect(joseBackend.openWithPrivateKey(found.test.jwe, key)).rejects.toThrow()
  })

  it('openRequest answers every case with unsupported_algorithm or malformed_envelope, per the check order', async () => {
    const { privateJwk } = await generateKeyPair('P-256')
    const keyRing = await KeyRing.from([privateJwk])
    const tally: Record<string, number> = {}
    for (const { test } of cases) {
      const header = headerOf(test.jwe)
      // Structure first (step 4): five canonical base64url parts, then the allow-list (step 5).
      const canonical = test.jwe.split('.').every((p) => /^[A-Za-z0-9_-]*$/.test(p) && Buffer.from(p, 'base64url').toString('base64url') === p)
      const foreign = header !== undefined && canonical && (header.alg !== 'ECDH-ES' || header.enc !== 'A256GCM' || 'zip' in header || 'crit' in header)
      const expected = foreign ? 'unsupported_algorithm' : 'malformed_envelope'
      const error = await openRequest(test.jwe, { keyRing, request: { method: 'POST', target: '/' }, replayStore: new MemoryReplayStore() }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, `tcId ${test.tcId}`).toBeInstanceOf(SealwireError)
      expect((error as SealwireError).code, `tcId ${test.tcId}`).toBe(expected)
      tally[expected] = (tally[expected] ?? 0) + 1
    }
    expect(tally.unsupported_algorithm).toBeGreaterThan(100)
    expect(tally.malformed_envelope).toBeGreaterThanOrEqual(6)
  })
})
