/**
 * Throughput of the v1 protocol operations, side by side in one run: Sealwire
 * on the Node-native backend (Node's default), Sealwire on jose, raw jose, the
 * native key agreement alone (the limit), and for 1 MiB the sum of the parts
 * (base64url decode + AES-256-GCM + JSON.parse on node:crypto). Ratios, not
 * absolute claims: this machine has 2 cores and other work. The whole set runs
 * in rounds (3 by default); run.ts takes each target's median per-round ratio.
 *
 *   npx -y pnpm@10 bench
 */
import { createDecipheriv, createECDH, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto'
import { KeyRing, generateKeyPair, importRecipientKey, joseBackend, openRequest, openResponse, sealRequest, sealResponse, type ReplayStore } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'
import { CompactEncrypt, compactDecrypt, importJWK } from 'jose'
import { bench, describe } from 'vitest'

import { BENCH, GROUP, inRound } from './micro-names.js'
import { prepareSessions } from './session-micro.js'

// Measures the protocol, not a store: every jti is new.
const alwaysFresh: ReplayStore = { checkAndSet: async () => true }
const request = { method: 'POST', target: '/api/transfer' }
const SIZES = { '1 KiB': 1024, '1 MiB': 1024 * 1024 } as const
const bodyOf = (bytes: number) => ({ to: 'alice', amount: 42, memo: 'x'.repeat(bytes - 40) })
// A full collection before each benchmark's warm-up and run (run.ts starts vitest with
// --expose-gc): each measures its own garbage, not what the one before it left — the
// X25519 seal read 4 780 ops/s after the open benchmarks' key objects, 7 317 alone.
const gc = (globalThis as { gc?: () => void }).gc
const time = Number(process.env.SEALWIRE_BENCH_MICRO_TIME ?? 500)
const options = { time, warmupTime: Math.round(time * 0.3), setup: () => gc?.() }
// Rounds (run.ts --micro-rounds, --micro-time): the whole set again, each group under its round's name.
const ROUNDS = Number(process.env.SEALWIRE_BENCH_MICRO_ROUNDS ?? 3)

/** Keys, envelopes and the native key agreement of one curve and size, made once for every round. */
async function prepare(curve: 'X25519' | 'P-256', size: number) {
  const { privateJwk, publicJwk } = await generateKeyPair(curve)
  const rings = { node: await KeyRing.from([privateJwk], { backend: nodeBackend }), jose: await KeyRing.from([privateJwk], { backend: joseBackend }) }
  const recipients = { node: await importRecipientKey(publicJwk, nodeBackend), jose: await importRecipientKey(publicJwk, joseBackend) }
  const joseKey = await importJWK({ ...privateJwk, alg: 'ECDH-ES' }, 'ECDH-ES')
  const josePublic = await importJWK({ ...publicJwk, alg: 'ECDH-ES' }, 'ECDH-ES')

  // The limit: one native ECDH with a fresh peer point, as a server does per request.
  const peer = await generateKeyPair(curve)
  const agree =
    curve === 'X25519'
      ? (() => {
          const privateKey = createPrivateKey({ key: { ...privateJwk }, format: 'jwk' })
          return () => diffieHellman({ privateKey, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer.publicJwk.x }, format: 'jwk' }) })
        })()
      : (() => {
          const ecdh = createECDH('prime256v1')
          ecdh.setPrivateKey(Buffer.from(privateJwk.d, 'base64url'))
          const point = Buffer.concat([Buffer.from([4]), Buffer.from(peer.publicJwk.x, 'base64url'), Buffer.from(peer.publicJwk.y!, 'base64url')])
          return () => ecdh.computeSecret(point)
        })()

  const body = bodyOf(size)
  const sealed = await sealRequest({ recipient: recipients.node, request, body })
  const opened = await openRequest(sealed.envelope, { keyRing: rings.node, request, replayStore: alwaysFresh })
  const clock = () => opened.claims.iat * 1000
  const responseBody = JSON.stringify(body)
  const response = await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: responseBody })
  const plaintext = new TextEncoder().encode(JSON.stringify({ rk: 'x'.repeat(43), body }))
  return { rings, recipients, joseKey, josePublic, agree, body, sealed, opened, clock, responseBody, response, plaintext }
}

const prepared: { curve: 'X25519' | 'P-256'; sizeName: string; size: number; p: Awaited<ReturnType<typeof prepare>> }[] = []
for (const curve of ['X25519', 'P-256'] as const) {
  for (const [sizeName, size] of Object.entries(SIZES)) prepared.push({ curve, sizeName, size, p: await prepare(curve, size) })
}

const sessions = { X25519: await prepareSessions('X25519'), 'P-256': await prepareSessions('P-256') }

for (let round = 1; round <= ROUNDS; round++) {
  // Sessions (docs/PROTOCOL.md §11): per request, no key agreement within one.
  for (const curve of ['X25519', 'P-256'] as const) {
    const s = sessions[curve]
    describe(inRound(GROUP.sessionClient(curve), round), () => {
      bench(BENCH.v1Default, s.clientRequest('default', false), options)
      bench(BENCH.sessionDefault, s.clientRequest('default', true), options)
      bench(BENCH.v1Noble, s.clientRequest('noble', false), options)
      bench(BENCH.sessionNoble, s.clientRequest('noble', true), options)
    })
    describe(inRound(GROUP.sessionServer(curve), round), () => {
      bench(BENCH.v1Default, s.serverOpen(false), options)
      bench(BENCH.sessionDefault, s.serverOpen(true), options)
    })
  }
  for (const { curve, sizeName, size, p } of prepared) {
    const { rings, recipients, joseKey, josePublic, agree, body, sealed, opened, clock, responseBody, response, plaintext } = p

    describe(inRound(GROUP.open(curve, sizeName), round), () => {
      bench(BENCH.openNode, async () => {
        await openRequest(sealed.envelope, { keyRing: rings.node, request, replayStore: alwaysFresh, clock })
      }, options)
      bench('sealwire openRequest (jose backend)', async () => {
        await openRequest(sealed.envelope, { keyRing: rings.jose, request, replayStore: alwaysFresh, clock })
      }, options)
      bench(BENCH.joseDecrypt, async () => {
        await compactDecrypt(sealed.envelope, joseKey)
      }, options)
      if (size === 1024) bench(BENCH.agreement, () => void agree(), options)
      if (size > 1024) {
        // The sum of the parts, once with the same key: base64url decode, AES-256-GCM, JSON.parse.
        const [, , iv, ciphertext, tag] = sealed.envelope.split('.') as [string, string, string, string, string]
        const cek = Buffer.alloc(32, 1)
        bench(BENCH.sumOfParts, () => {
          const bytes = Buffer.from(ciphertext, 'base64url')
          const decipher = createDecipheriv('aes-256-gcm', cek, Buffer.from(iv, 'base64url'))
          decipher.setAuthTag(Buffer.from(tag, 'base64url'))
          decipher.update(bytes) // the tag does not match this key: final() is skipped, the work is the same
          JSON.parse(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength).toString())
        }, options)
      }
    })

    describe(inRound(GROUP.seal(curve, sizeName), round), () => {
      bench(BENCH.sealNode, async () => {
        await sealRequest({ recipient: recipients.node, request, body })
      }, options)
      bench('sealwire sealRequest (jose backend)', async () => {
        await sealRequest({ recipient: recipients.jose, request, body })
      }, options)
      bench(BENCH.joseEncrypt, async () => {
        await new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' }).encrypt(josePublic)
      }, options)
    })

    describe(inRound(`${curve} ${sizeName}: response (seal on the server, open on the client)`, round), () => {
      bench('sealwire sealResponse (node backend)', async () => {
        await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: responseBody, backend: nodeBackend })
      }, options)
      bench('sealwire sealResponse (jose backend)', async () => {
        await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: responseBody, backend: joseBackend })
      }, options)
      bench('sealwire openResponse (node backend)', async () => {
        await openResponse(response, { reply: sealed.reply, status: 200, backend: nodeBackend })
      }, options)
      bench('sealwire openResponse (jose backend)', async () => {
        await openResponse(response, { reply: sealed.reply, status: 200, backend: joseBackend })
      }, options)
    })
  }
}
