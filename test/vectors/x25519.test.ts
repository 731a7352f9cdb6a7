/**
 * Wycheproof X25519 (JWK) vectors through a real Sealwire request.
 *
 * Every test case becomes an envelope whose `epk` is the case's public key,
 * sent to a KeyRing holding the case's private key, its content key derived
 * here (test-only code) from the case's expected shared secret with the Concat
 * KDF of RFC 7518 §4.6.2. An envelope that opens therefore proves that core
 * (jose over WebCrypto) computed exactly the shared secret the vector names;
 * an envelope that must not open is sealed under the key an attacker would
 * predict (the all-zero secret of a low-order point), so accepting it would
 * show up as a successful open.
 *
 * Policy for `acceptable` results (asserted below):
 * - a shared secret that is all zeros (LowOrderPublic / ZeroSharedSecret) is
 *   REFUSED with `decryption_failed`: RFC 7748 §6.1 lets implementations check
 *   for it, and an envelope keyed by a value anyone can compute proves nothing;
 * - every other `acceptable` case (points on the twist, non-canonical u >= p,
 *   small public values) is ACCEPTED: RFC 7748 §5 defines X25519 on all 32-byte
 *   inputs (masking the top bit, reducing mod p), and in ECDH-ES the ephemeral
 *   key is the sender's own, so a weak `epk` only weakens that sender's request.
 */
import { KeyRing, openRequest, SealwireError, type CryptoBackend, type OpenedRequest } from '@sealwire/core'
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
  isAllZero,
  requestHeaderJson,
  requestPlaintextJson,
  sealWithCek,
  withoutKid,
  type WycheproofFile,
  type WycheproofGroup,
  type WycheproofTest,
} from '../helpers/vectors.js'

interface XdhJwkTest extends WycheproofTest {
  public: Record<string, unknown>
  private: { kty: string; crv: string; d: string; x: string }
  shared: string
}
type XdhJwkFile = WycheproofFile<WycheproofGroup<XdhJwkTest>>

const request = { method: 'POST', target: '/vectors' }
const clock = () => VECTOR_NOW_MS

type Outcome = { opened: OpenedRequest<unknown> } | { error: unknown }

/** Seals the case into a request envelope and opens it with core. */
async function run(test: XdhJwkTest, backend: CryptoBackend): Promise<Outcome> {
  const keyRing = new KeyRing({ backend })
  const kid = await keyRing.add({ kty: 'OKP', crv: 'X25519', x: test.private.x, d: test.private.d })
  // Where the vector names no secret (invalid keys) seal under the all-zero one, the attacker's best guess.
  const z = test.shared === '' ? new Uint8Array(32) : fromHex(test.shared)
  const header = requestHeaderJson({ kid, epk: withoutKid(test.public) })
  const envelope = await sealWithCek(header, requestPlaintextJson({ tcId: test.tcId }), a256gcmCekFromSharedSecret(z))
  try {
    return { opened: await openRequest(envelope, { keyRing, request, replayStore: vectorReplayStore(), clock }) }
  } catch (error) {
    return { error }
  }
}

const describeOutcome = (o: Outcome) => ('opened' in o ? 'opened' : o.error instanceof SealwireError ? o.error.code : `crash: ${String(o.error)}`)

describeWycheproof<XdhJwkFile>('x25519_jwk_test.json', 'Wycheproof X25519 JWK vectors as the epk of a Sealwire request', (file) => {
  const cases = allTests(file).map(({ test }) => test)

  it('holds the cases this suite was written for', () => {
    expect(cases).toHaveLength(file.numberOfTests)
    expect(cases.length).toBeGreaterThan(500)
  })

  it('gives every case the same verdict on the jose and node backends', async () => {
    expect(await backendDisagreements(cases, BACKENDS, async (test, i) => describeOutcome(await run(test, BACKENDS[i]!)))).toEqual([])
    expect(BACKENDS.map((b) => b.name)).toEqual(['jose', 'node'])
  })

  for (const backend of BACKENDS) describe(`${backend.name} backend`, () => {
    it('opens every valid case: the backend derives the shared secret the vector names', async () => {
      const valid = cases.filter((t) => t.result === 'valid')
      const failures: string[] = []
      for (const test of valid) {
        const outcome = await run(test, backend)
        if (!('opened' in outcome) || (outcome.opened.body as { tcId: number }).tcId !== test.tcId) failures.push(`tcId ${test.tcId}: ${describeOutcome(outcome)}`)
      }
      expect(failures).toEqual([])
      expect(valid.length).toBe(264)
    })

    it('opens the RFC 8037 §A.6 and RFC 7748 known-answer cases', async () => {
      const ktv = cases.filter((t) => t.flags?.includes('Ktv') && t.result === 'valid')
      expect(ktv.map((t) => t.comment).sort()).toEqual(['RFC 7748', 'RFC 8037, Section A.6'])
      // RFC 8037 §A.6: Bob's key 3p7bfXt9… with the ephemeral key hSDwCYkw…, Z = 4a5d9d5b….
      const a6 = ktv.find((t) => t.comment === 'RFC 8037, Section A.6')!
      expect(a6.public.x).toBe('3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08')
      expect(a6.shared).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')
      for (const test of ktv) expect(describeOutcome(await run(test, backend))).toBe('opened')
    })

    it('refuses every low-order public key (all-zero shared secret) with decryption_failed, never a crash', async () => {
      const lowOrder = cases.filter((t) => t.result !== 'invalid' && (t.flags?.includes('LowOrderPublic') || t.flags?.includes('ZeroSharedSecret') || isAllZero(fromHex(t.shared))))
      const outcomes = new Map<number, string>()
      for (const test of lowOrder) outcomes.set(test.tcId, describeOutcome(await run(test, backend)))
      expect([...outcomes.entries()].filter(([, code]) => code !== 'decryption_failed')).toEqual([])
      expect(lowOrder.length).toBe(31)
    })

    it('accepts the other acceptable cases (twist, non-canonical, small public values) as policy', async () => {
      const acceptable = cases.filter((t) => t.result === 'acceptable' && !isAllZero(fromHex(t.shared)))
      const failures: string[] = []
      for (const test of acceptable) {
        const outcome = await run(test, backend)
        if (!('opened' in outcome) || (outcome.opened.body as { tcId: number }).tcId !== test.tcId) failures.push(`tcId ${test.tcId} ${test.flags?.join(',')}: ${describeOutcome(outcome)}`)
      }
      expect(failures).toEqual([])
      expect(acceptable.length).toBe(223)
    })

    it('refuses every invalid public JWK (wrong kty/crv, missing members) with a 4xx code', async () => {
      const invalid = cases.filter((t) => t.result === 'invalid')
      const outcomes = new Map<number, string>()
      for (const test of invalid) {
        const outcome = await run(test, backend)
        outcomes.set(test.tcId, describeOutcome(outcome))
        if ('error' in outcome && outcome.error instanceof SealwireError) expect(outcome.error.status).toBe(400)
      }
      expect(invalid.length).toBe(13)
      // A well-formed P-256 epk sent to an X25519 key passes the header schema and
      // fails the key agreement; every other one is not a v1 epk at all.
      expect(outcomes.get(519)).toBe('decryption_failed')
      outcomes.delete(519)
      expect([...outcomes.entries()].filter(([, code]) => code !== 'malformed_envelope')).toEqual([])
    })
  })
})
