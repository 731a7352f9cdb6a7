/**
 * Throughput of the v1 protocol operations on each curve, side by side in one
 * run (ratios, not absolute claims: this machine has 2 cores and other work).
 *
 *   npx vitest bench --config test/vitest.config.ts --run test/bench
 */
import { bench, describe } from 'vitest'
import { KeyRing, generateKeyPair, importRecipientKey, openRequest, openResponse, sealRequest, sealResponse, type ReplayStore } from '@sealwire/core'

// Measures the protocol, not a store: every jti is new.
const alwaysFresh: ReplayStore = { checkAndSet: async () => true }
const request = { method: 'POST', target: '/api/transfer' }
const body = { to: 'alice', amount: 42, memo: 'x'.repeat(512) }

for (const curve of ['P-256', 'X25519'] as const) {
  const { privateJwk, publicJwk } = await generateKeyPair(curve)
  const keyRing = await KeyRing.from([privateJwk])
  const recipient = await importRecipientKey(publicJwk)
  const sealed = await sealRequest({ recipient, request, body })
  const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore: alwaysFresh })
  const response = await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: '{"ok":true}' })

  describe(`${curve}`, () => {
    bench('sealRequest (client)', async () => {
      await sealRequest({ recipient, request, body })
    })
    bench('openRequest (server, all checks)', async () => {
      await openRequest(sealed.envelope, { keyRing, request, replayStore: alwaysFresh, clock: () => opened.claims.iat * 1000 })
    })
    bench('sealResponse (server)', async () => {
      await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: '{"ok":true}' })
    })
    bench('openResponse (client)', async () => {
      await openResponse(response, { reply: sealed.reply, status: 200 })
    })
  })
}
