/**
 * A long loop of what the Node-native backend does per sealed request.
 *
 * Node 20.20 deadlocked the main thread in a long loop of generateKeyPairSync('x25519')
 * followed by a JWK export (a GC running ~KeyGenJob while ExportJWKEdKey held the key's
 * mutex). The backend makes ephemeral keys from random bytes instead (a JWK import, no
 * KeyGenJob) and reads their public half with a JWK export of createPublicKey(privateKey);
 * this loop keeps that honest (in test/, not beside the code: it takes seconds).
 */
import { Buffer } from 'node:buffer'
import { generateKeyPair } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'
import { describe, expect, it } from 'vitest'

const HEADER = { alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: 'k' }

describe('nodeBackend ephemeral keys in a long loop', () => {
  it('seals 50 000 X25519 requests in a row, each with a fresh ephemeral key, without stalling', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('X25519')
    const recipient = await nodeBackend.importPublicKey(publicJwk)
    const key = await nodeBackend.importPrivateKey(privateJwk)
    const epks = new Set<string>()
    for (let i = 0; i < 50_000; i++) {
      const jwe = await nodeBackend.sealToPublicKey(new Uint8Array([i & 0xff]), HEADER, recipient)
      if (i % 2500 === 0) expect([...(await nodeBackend.openWithPrivateKey(jwe, key))]).toEqual([i & 0xff])
      epks.add(JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()).epk.x)
    }
    expect(epks.size).toBe(50_000)
  }, 120_000)

  it('seals 2 000 P-256 requests in a row the same way', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('P-256')
    const recipient = await nodeBackend.importPublicKey(publicJwk)
    const key = await nodeBackend.importPrivateKey(privateJwk)
    for (let i = 0; i < 2_000; i++) {
      const jwe = await nodeBackend.sealToPublicKey(new Uint8Array([i & 0xff]), HEADER, recipient)
      if (i % 250 === 0) expect([...(await nodeBackend.openWithPrivateKey(jwe, key))]).toEqual([i & 0xff])
    }
  }, 120_000)
})
