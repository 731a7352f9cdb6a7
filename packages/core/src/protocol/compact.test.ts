import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CompactEncrypt, base64url, importJWK } from 'jose'
import { REQUEST_TYP } from '../constants.js'
import type { SealwireError } from '../errors.js'
import { KeyRing } from '../keys/key-ring.js'
import { generateKeyPair } from '../keys/jwk.js'
import { MemoryReplayStore } from '../replay/memory-replay-store.js'
import { decodeProtectedHeader, payloadIssues } from './compact.js'
import { openRequest } from './open-request.js'

describe('payloadIssues', () => {
  it('keeps paths and messages, never submitted values or key names', () => {
    const schema = z.strictObject({ amount: z.number().positive() })
    const result = schema.safeParse({ amount: -4217, 'alice@example.com': 'card 4111111111111111' })
    expect(result.success).toBe(false)
    const issues = payloadIssues(result.error!)
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining([['amount'], []]))
    const text = JSON.stringify(issues)
    for (const secret of ['-4217', 'alice@example.com', '4111111111111111']) expect(text).not.toContain(secret)
  })
})

describe('decodeProtectedHeader', () => {
  it('applies the 8 KiB cap (step 3) before the structure checks (step 4)', () => {
    const oversized = `${'A'.repeat(8 * 1024)}!..a.b.c`
    expect(() => decodeProtectedHeader(oversized)).toThrow(expect.objectContaining({ code: 'payload_too_large' }))
  })

  it('refuses a non-canonical base64url part (stray low bits, RFC 4648 §3.5): one envelope, one spelling', () => {
    expect(decodeProtectedHeader('eyJhIjoxfQ..AQ.AQ.AQ')).toEqual({ a: 1 })
    for (const respelled of ['eyJhIjoxfR..AQ.AQ.AQ', 'eyJhIjoxfQ..AR.AQ.AQ', 'eyJhIjoxfQ..AQ.AQ.AB', 'eyJhIjoxfQ..AQ.AQF.AQ', 'eyJhIjoxfQ..AQ.A.AQ']) {
      expect(() => decodeProtectedHeader(respelled), respelled).toThrow(expect.objectContaining({ code: 'malformed_envelope' }))
    }
    expect(() => decodeProtectedHeader('eyJhIjoxfQ..AQ.AQI.AQ')).not.toThrow()
  })

  it('keeps the input out of the error, cause included (causes end up in logs)', () => {
    const secret = 'card-4111111111111111'
    const notJson = `${base64url.encode(`{"alg":"${secret}`)}..a.b.c`
    let caught: unknown
    try {
      decodeProtectedHeader(notJson)
    } catch (err) {
      caught = err
    }
    expect(caught).toMatchObject({ code: 'malformed_envelope' })
    const error = caught as SealwireError
    expect(`${error.message} ${String(error.cause)} ${JSON.stringify(error)}`).not.toContain(secret)
  })
})

describe('openRequest on a plaintext that is not JSON', () => {
  it('answers malformed_envelope without quoting the plaintext anywhere', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('X25519')
    const keyRing = await KeyRing.from([privateJwk])
    const secret = 'card-4111111111111111'
    const header = { alg: 'ECDH-ES', enc: 'A256GCM', typ: REQUEST_TYP, kid: publicJwk.kid, iat: Math.floor(Date.now() / 1000), jti: base64url.encode(new Uint8Array(16)), htm: 'POST', htu: '/x' }
    const envelope = await new CompactEncrypt(new TextEncoder().encode(`{"rk": ${secret}`)).setProtectedHeader(header).encrypt(await importJWK(publicJwk, 'ECDH-ES'))
    const store = new MemoryReplayStore({ clock: () => 0 })
    const error = (await openRequest(envelope, { keyRing, replayStore: store, request: { method: 'POST', target: '/x' } }).then(
      () => undefined,
      (e: unknown) => e,
    )) as SealwireError
    expect(error).toMatchObject({ code: 'malformed_envelope' })
    expect(`${error.message} ${String(error.cause)} ${JSON.stringify(error)}`).not.toContain(secret)
  })
})
