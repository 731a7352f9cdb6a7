/**
 * Wycheproof P-256 ECDH (WebCrypto JWK) vectors through a real Sealwire request.
 *
 * Valid cases: the envelope's `epk` is the vector's public key, the server key
 * its private key, and the content key is derived here (test-only code) from the
 * vector's shared secret with the Concat KDF (RFC 7518 §4.6.2); that core opens
 * it proves jose computes the same shared secret, edge cases included.
 *
 * Invalid cases (points off the curve, (0,0), secp256k1/P-384/P-521 keys): an
 * invalid-curve attack works by getting the server to compute with such a point,
 * so besides the 4xx answer we check the point is refused at import, before any
 * scalar multiplication could leak bits of the server key.
 * There are no `acceptable` results in this file (asserted).
 */
import { KeyRing, SealwireError, importRecipientKey, openRequest, type CryptoBackend, type OpenedRequest } from '@sealwire/core'
import { describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/backends.js'
import {
  VECTOR_NOW_MS,
  vectorReplayStore,
  a256gcmCekFromSharedSecret,
  allTests,
  backendDisagreements,
  describeWycheproof,
  fromHex,
  requestHeaderJson,
  requestPlaintextJson,
  sealWithCek,
  withoutKid,
  type WycheproofFile,
  type WycheproofGroup,
  type WycheproofTest,
} from '../helpers/vectors.js'

interface EcdhJwkTest extends WycheproofTest {
  public: { kty: string; crv: string; x: string; y: string; kid?: string }
  private: { kty: string; crv: string; x: string; y: string; d: string; kid?: string }
  shared: string
}
type EcdhJwkFile = WycheproofFile<WycheproofGroup<EcdhJwkTest>>

const request = { method: 'PUT', target: '/vectors/p256?case=1' }
const clock = () => VECTOR_NOW_MS
type Outcome = { opened: OpenedRequest<unknown> } | { error: unknown }
const describeOutcome = (o: Outcome) => ('opened' in o ? 'opened' : o.error instanceof SealwireError ? o.error.code : `crash: ${String(o.error)}`)

async function run(test: EcdhJwkTest, backend: CryptoBackend): Promise<Outcome> {
  const keyRing = new KeyRing({ backend })
  const kid = await keyRing.add(withoutKid(test.private))
  // Invalid cases name no secret: seal under the all-zero one.
  const z = test.shared === '' ? new Uint8Array(32) : fromHex(test.shared)
  const header = requestHeaderJson({ kid, epk: withoutKid(test.public), htm: request.method, htu: request.target })
  const envelope = await sealWithCek(header, requestPlaintextJson({ tcId: test.tcId }), a256gcmCekFromSharedSecret(z))
  try {
    return { opened: await openRequest(envelope, { keyRing, request, replayStore: vectorReplayStore(), clock }) }
  } catch (error) {
    return { error }
  }
}

describeWycheproof<EcdhJwkFile>('ecdh_secp256r1_webcrypto_test.json', 'Wycheproof P-256 ECDH vectors as the epk of a Sealwire request', (file) => {
  const cases = allTests(file).map(({ test }) => test)

  it('holds the cases this suite was written for, none of them "acceptable"', () => {
    expect(cases).toHaveLength(file.numberOfTests)
    expect(cases.filter((t) => t.result === 'acceptable')).toEqual([])
  })

  it('gives every case the same verdict on the jose and node backends', async () => {
    expect(await backendDisagreements(cases, BACKENDS, async (test, i) => describeOutcome(await run(test, BACKENDS[i]!)))).toEqual([])
    expect(BACKENDS.map((b) => b.name)).toEqual(['jose', 'node'])
  })

  for (const backend of BACKENDS) describe(`${backend.name} backend`, () => {
    it('opens every valid case, edge-case points and secrets included', async () => {
      const valid = cases.filter((t) => t.result === 'valid')
      const failures: string[] = []
      for (const test of valid) {
        const outcome = await run(test, backend)
        if (!('opened' in outcome) || (outcome.opened.body as { tcId: number }).tcId !== test.tcId) failures.push(`tcId ${test.tcId} ${test.comment}: ${describeOutcome(outcome)}`)
      }
      expect(failures).toEqual([])
      expect(valid.length).toBe(330)
    })

    it('refuses every invalid public key with a 4xx code, never a crash', async () => {
      const invalid = cases.filter((t) => t.result === 'invalid')
      const outcomes: Record<string, string[]> = {}
      for (const test of invalid) {
        const outcome = await run(test, backend)
        expect('error' in outcome && outcome.error instanceof SealwireError && outcome.error.status === 400, `tcId ${test.tcId}: ${describeOutcome(outcome)}`).toBe(true)
        ;(outcomes[describeOutcome(outcome)] ??= []).push(`${test.tcId} ${test.public.crv}`)
      }
      expect(invalid.length).toBe(23)
      // Another curve's name fails the header schema; a P-256 name with an off-curve point
      // reaches key agreement and fails there, under the one generic code.
      expect(Object.keys(outcomes).sort()).toEqual(['decryption_failed', 'malformed_envelope'])
      expect(outcomes.malformed_envelope!.every((c) => !c.endsWith(' P-256'))).toBe(true)
      expect(outcomes.decryption_failed!.every((c) => c.endsWith(' P-256'))).toBe(true)
    })

    it('refuses off-curve and wrong-curve points at import, before any ECDH with the server key', async () => {
      const invalid = cases.filter((t) => t.result === 'invalid')
      for (const test of invalid) {
        const epk = withoutKid(test.public)
        // Points named P-256 reach the backend: jose imports an `epk` into WebCrypto,
        // the node backend hands the point to OpenSSL; both check it is on the curve.
        // (Other curves never get that far: the header schema refuses them, asserted above.)
        if (test.public.crv === 'P-256') await expect(backend.importPublicKey(epk), `tcId ${test.tcId}`).rejects.toThrow()
        // And a client pinning such a key as a server key is refused up front.
        await expect(importRecipientKey(epk, backend), `tcId ${test.tcId}`).rejects.toThrow()
      }
    })
  })
})
