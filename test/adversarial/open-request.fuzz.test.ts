/**
 * Property-based fuzzing of core's `openRequest` (issue 9, adversarial suite):
 * a mutated valid envelope is never accepted unless unchanged, is always
 * refused with a typed 4xx SealwireError (never a crash, never a 5xx), and
 * never reaches the replay store, so the victim's own envelope still opens.
 *
 * Bounded for CI; `SEALWIRE_FUZZ_RUNS=5000` for a longer local run (README).
 */
import { MemoryReplayStore, SealwireError, openRequest, type ReplayStore } from '@sealwire/core'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { seal, testKeys, type TestKeys } from '../server/helpers/sealing.js'
import { applyMutation, fuzzRuns, fuzzSeed, mutationArbitrary } from './mutations.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await testKeys()
})

/** A replay store that remembers which jtis reached it. */
function spyStore(): ReplayStore & { seen: string[] } {
  const inner = new MemoryReplayStore()
  const seen: string[] = []
  return {
    seen,
    checkAndSet(jti, expiresAt) {
      seen.push(jti)
      return inner.checkAndSet(jti, expiresAt)
    },
  }
}

const ORIGIN = 'https://api.example.test'
const REQUESTS = [
  { method: 'POST', target: '/api/transfer?x=1', body: { to: 'alice', amount: 42 }, origin: undefined },
  { method: 'GET', target: '/api/items?q=1', body: undefined, origin: undefined },
  // Origin-bound (`hto`), opened by a server that requires it.
  { method: 'PUT', target: '/api/items/7', body: { name: 'x' }, origin: ORIGIN },
] as const

describe.each(['P-256', 'X25519'] as const)('openRequest on %s', (curve) => {
  it('refuses every mutation with a 4xx SealwireError, before the replay store', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...REQUESTS), mutationArbitrary(), async (request, mutation) => {
        const [sealed, donor] = await Promise.all([
          seal({ recipient: keys.recipients[curve], method: request.method, target: request.target, body: request.body, ...(request.origin ? { origin: request.origin } : {}) }),
          seal({ recipient: keys.recipients[curve], method: request.method, target: request.target, body: request.body, ...(request.origin ? { origin: request.origin } : {}) }),
        ])
        const mutated = applyMutation(sealed.envelope, mutation, donor.envelope)
        fc.pre(mutated !== sealed.envelope)
        const store = spyStore()
        const options = {
          keyRing: keys.ring,
          replayStore: store,
          request: { method: request.method, target: request.target, ...(request.origin ? { origin: request.origin } : {}) },
          ...(request.origin ? { origins: [request.origin] } : {}),
        }
        const outcome = await openRequest(mutated, options).then(
          () => 'accepted' as const,
          (err: unknown) => err,
        )
        expect(outcome, 'a mutated envelope was accepted').not.toBe('accepted')
        expect(outcome).toBeInstanceOf(SealwireError)
        const status = (outcome as SealwireError).status
        expect(status >= 400 && status < 500, `status ${status} (${(outcome as SealwireError).code})`).toBe(true)
        expect(store.seen, 'the jti reached the replay store').toEqual([])
        // The original still opens: nothing was consumed.
        expect((await openRequest(sealed.envelope, options)).claims.jti).toBe(sealed.reply.jti)
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed() },
    )
  })
})
