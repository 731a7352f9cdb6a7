/**
 * Property-based fuzzing of every adapter over real HTTPS on loopback (issue 9,
 * adversarial suite): a mutated valid envelope, in the body or in the
 * `Sealwire-Envelope` header, is never accepted, is answered with a 4xx (never
 * a 5xx), never reaches a handler, and never consumes the jti: the victim's own
 * envelope still goes through afterwards.
 *
 * Bounded for CI; `SEALWIRE_FUZZ_RUNS=2000` for a longer local run (README).
 */
import { createSealwireServer, type SealwireEvent } from '@sealwire/server'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENVELOPE_HEADER, openSealed, seal, sendSealed, testKeys, type TestKeys } from '../server/helpers/sealing.js'
import { testCertificate } from '../server/helpers/tls.js'
import { express4Harness, expressHarness } from '../server/harness/express.js'
import { fastify4Harness, fastifyHarness } from '../server/harness/fastify.js'
import { fetchHarness } from '../server/harness/fetch.js'
import { koa2Harness, koaHarness } from '../server/harness/koa.js'
import { lambdaHarness } from '../server/harness/lambda.js'
import type { AdapterHarness, RunningApp } from '../server/harness/spec.js'
import { applyMutation, fuzzRuns, fuzzSeed, mutationArbitrary } from './mutations.js'

// Every adapter, on each supported major of its framework.
const harnesses: AdapterHarness[] = [expressHarness, express4Harness, koaHarness, koa2Harness, fastifyHarness, fastify4Harness, fetchHarness, lambdaHarness]

describe.each(harnesses)('$name adapter under mutated envelopes', (harness) => {
  let keys: TestKeys
  let ca: string
  let app: RunningApp
  const events: SealwireEvent[] = []

  beforeAll(async () => {
    keys = await testKeys()
    ca = (await testCertificate()).cert
    app = await harness.start(createSealwireServer({ keys: keys.ring, singleInstance: true, onEvent: (e) => events.push(e) }))
  })
  afterAll(async () => {
    await app.close()
  })

  const placements = [
    { name: 'body (POST)', method: 'POST', target: '/echo?n=1', body: { card: '4111 1111 1111 1111' }, headerSafe: false },
    { name: 'header (GET)', method: 'GET', target: '/items?q=1', body: undefined, headerSafe: true },
  ] as const

  for (const p of placements) {
    it(`envelope in the ${p.name}: refused with a 4xx, handler not reached, jti unused`, async () => {
      await fc.assert(
        fc.asyncProperty(mutationArbitrary(p.headerSafe), async (mutation) => {
          const [sealed, donor] = await Promise.all([
            seal({ recipient: keys.recipients['P-256'], method: p.method, target: p.target, body: p.body }),
            seal({ recipient: keys.recipients.X25519, method: p.method, target: p.target, body: p.body }),
          ])
          const mutated = applyMutation(sealed.envelope, mutation, donor.envelope)
          fc.pre(mutated !== sealed.envelope)
          const forged =
            sealed.placement === 'header'
              ? { ...sealed, headers: { ...sealed.headers, [ENVELOPE_HEADER]: mutated } }
              : { ...sealed, httpBody: mutated }
          events.length = 0
          const res = await sendSealed(app.secureUrl, p.method, p.target, forged, { ca })
          expect(res.status >= 400 && res.status < 500, `status ${res.status}: ${res.body.slice(0, 200)}`).toBe(true)
          expect(events.map((e) => e.type)).toEqual(['rejected'])
          // Nothing was consumed: the request as sealed still goes through.
          const ok = await sendSealed(app.secureUrl, p.method, p.target, sealed, { ca })
          expect((await openSealed(ok, sealed)).status).toBe(200)
        }),
        { numRuns: fuzzRuns(25), seed: fuzzSeed() },
      )
    })
  }
})
