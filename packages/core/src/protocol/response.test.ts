/**
 * sealResponse / openResponse: the response half of wire protocol v1 (§4).
 * A response opens only with the request's `rk`, only for the request's `jti`,
 * and only under the HTTP status it was sealed with.
 */
import { CompactEncrypt, base64url, compactDecrypt, decodeProtectedHeader as joseDecodeHeader } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { RESPONSE_TYP } from '../constants.js'
import { SealwireError } from '../errors.js'
import { generateKeyPair } from '../keys/jwk.js'
import { importRecipientKey } from '../keys/recipient-key.js'
import { openResponse } from './open-response.js'
import type { ReplyContext } from './request-descriptor.js'
import { sealRequest } from './seal-request.js'
import { sealResponse } from './seal-response.js'

let reply: ReplyContext
let requestEnvelope: string
beforeAll(async () => {
  const { publicJwk } = await generateKeyPair('P-256')
  const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request: { method: 'POST', target: '/r' }, body: 1 })
  reply = sealed.reply
  requestEnvelope = sealed.envelope
})

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const otherJti = () => base64url.encode(crypto.getRandomValues(new Uint8Array(16)))

async function failure(promise: Promise<unknown>): Promise<SealwireError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => ({ error }),
  )
  if (outcome === undefined) throw new Error('expected a SealwireError, but the response opened')
  expect(outcome.error).toBeInstanceOf(SealwireError)
  return outcome.error as SealwireError
}

/** A response sealed by raw jose with the given header and key. */
const joseSeal = (header: Record<string, unknown>, key: Uint8Array, body = '{"ok":true}') =>
  new CompactEncrypt(new TextEncoder().encode(body)).setProtectedHeader(header as never).encrypt(key)
const goodHeader = () => ({ alg: 'dir', enc: 'A256GCM', typ: RESPONSE_TYP, jti: reply.jti, sts: 200, cty: 'application/json' })

describe('round trips', () => {
  it('carries a binary body byte for byte', async () => {
    const body = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) & 0xff)
    const jwe = await sealResponse({ reply, status: 200, contentType: 'application/octet-stream', body })
    const res = await openResponse(jwe, { reply, status: 200 })
    expect(res.body).toEqual(body)
    expect(res).toMatchObject({ status: 200, contentType: 'application/octet-stream' })
  })

  it('carries an empty body, and text as UTF-8', async () => {
    expect((await openResponse(await sealResponse({ reply, status: 204, contentType: 'text/plain', body: '' }), { reply, status: 204 })).body).toHaveLength(0)
    const res = await openResponse(await sealResponse({ reply, status: 200, contentType: 'text/plain; charset=utf-8', body: 'naïve ☃ 🚀' }), { reply, status: 200 })
    expect(text(res.body)).toBe('naïve ☃ 🚀')
    expect(res.contentType).toBe('text/plain; charset=utf-8')
  })

  it('writes exactly the v1 response header', async () => {
    const jwe = await sealResponse({ reply, status: 409, contentType: 'application/problem+json', body: '{}' })
    expect(joseDecodeHeader(jwe)).toEqual({ alg: 'dir', enc: 'A256GCM', typ: RESPONSE_TYP, jti: reply.jti, sts: 409, cty: 'application/problem+json' })
    expect(jwe.split('.')[1]).toBe('')
  })
})

describe('interop with raw jose', () => {
  it('a response sealed by core opens with jose.compactDecrypt(rk)', async () => {
    const jwe = await sealResponse({ reply, status: 201, contentType: 'application/json', body: '{"id":7}' })
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, reply.rk, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })
    expect(text(plaintext)).toBe('{"id":7}')
    expect(protectedHeader).toMatchObject({ typ: RESPONSE_TYP, jti: reply.jti, sts: 201 })
  })

  it('a response sealed by jose.CompactEncrypt with the v1 header opens with core', async () => {
    const res = await openResponse(await joseSeal(goodHeader(), reply.rk, '{"via":"jose"}'), { reply, status: 200 })
    expect(text(res.body)).toBe('{"via":"jose"}')
  })
})

describe('response_decryption_failed (502)', () => {
  it('refuses a tampered response', async () => {
    const jwe = await sealResponse({ reply, status: 200, contentType: 'application/json', body: '{"balance":100}' })
    const parts = jwe.split('.')
    for (const index of [2, 3, 4]) {
      const bytes = base64url.decode(parts[index]!)
      bytes[0]! ^= 0x80
      const tampered = parts.map((p, i) => (i === index ? base64url.encode(bytes) : p)).join('.')
      const error = await failure(openResponse(tampered, { reply, status: 200 }))
      expect(error.code).toBe('response_decryption_failed')
      expect(error.status).toBe(502)
    }
    // A proxy rewriting the (readable) header, e.g. the status, breaks the AAD.
    const header = { ...goodHeader(), sts: 500 }
    const rewritten = [base64url.encode(JSON.stringify(header)), ...parts.slice(1)].join('.')
    expect((await failure(openResponse(rewritten, { reply, status: 500 }))).code).toBe('response_decryption_failed')
  })

  it('refuses a response sealed with another rk', async () => {
    const wrong = { jti: reply.jti, rk: crypto.getRandomValues(new Uint8Array(32)) }
    const jwe = await sealResponse({ reply: wrong, status: 200, contentType: 'application/json', body: '{}' })
    expect((await failure(openResponse(jwe, { reply, status: 200 }))).code).toBe('response_decryption_failed')
  })

  it('refuses anything that is not a JWE compact serialization', async () => {
    for (const body of ['', 'hello', '{"ok":true}', 'a.b.c.d', 'a.b.c.d.e', '.....', '<html>502 Bad Gateway</html>']) {
      const error = await failure(openResponse(body, { reply, status: 200 }))
      expect(error.code, body).toBe('response_decryption_failed')
    }
  })

  it('refuses a response whose header is not sealwire-res+jwe', async () => {
    const cases: Record<string, Record<string, unknown>> = {
      'typ of a request': { ...goodHeader(), typ: 'sealwire-req+jwe' },
      'typ missing': { ...goodHeader(), typ: undefined },
      'jti missing': { ...goodHeader(), jti: undefined },
      'sts a string': { ...goodHeader(), sts: '200' },
      'sts out of range': { ...goodHeader(), sts: 600 },
      'cty missing': { ...goodHeader(), cty: undefined },
    }
    for (const [name, header] of Object.entries(cases)) {
      const error = await failure(openResponse(await joseSeal(header, reply.rk), { reply, status: 200 }))
      expect(error.code, name).toBe('response_decryption_failed')
    }
  })

  it('accepts typ as a full media type and in any case (RFC 7515 §4.1.9)', async () => {
    for (const typ of ['application/sealwire-res+jwe', 'Application/Sealwire-Res+JWE', 'SEALWIRE-RES+JWE']) {
      const res = await openResponse(await joseSeal({ ...goodHeader(), typ }, reply.rk), { reply, status: 200 })
      expect(text(res.body), typ).toBe('{"ok":true}')
    }
    const request = await joseSeal({ ...goodHeader(), typ: 'application/sealwire-req+jwe' }, reply.rk)
    expect((await failure(openResponse(request, { reply, status: 200 }))).code).toBe('response_decryption_failed')
  })

  it('refuses an algorithm other than dir + A256GCM, even under the right rk', async () => {
    const a256kw = await joseSeal({ ...goodHeader(), alg: 'A256KW' }, reply.rk)
    expect((await failure(openResponse(a256kw, { reply, status: 200 }))).code).toBe('response_decryption_failed')
    const a128 = await joseSeal({ ...goodHeader(), enc: 'A128GCM' }, reply.rk.slice(0, 16))
    expect((await failure(openResponse(a128, { reply, status: 200 }))).code).toBe('response_decryption_failed')
  })

  it('refuses a request envelope presented as a response', async () => {
    expect((await failure(openResponse(requestEnvelope, { reply, status: 200 }))).code).toBe('response_decryption_failed')
  })
})

describe('response_binding_mismatch (502)', () => {
  it('refuses a response bound to another request (wrong jti)', async () => {
    const jwe = await sealResponse({ reply: { jti: otherJti(), rk: reply.rk }, status: 200, contentType: 'application/json', body: '{}' })
    const error = await failure(openResponse(jwe, { reply, status: 200 }))
    expect(error.code).toBe('response_binding_mismatch')
    expect(error.status).toBe(502)
  })

  it('refuses a response whose sealed status differs from the HTTP status (a 403 turned into a 200)', async () => {
    const jwe = await sealResponse({ reply, status: 403, contentType: 'application/problem+json', body: '{}' })
    const error = await failure(openResponse(jwe, { reply, status: 200 }))
    expect(error.code).toBe('response_binding_mismatch')
    expect((await openResponse(jwe, { reply, status: 403 })).status).toBe(403)
  })
})

describe('caller misuse', () => {
  it('sealResponse throws TypeError on a status that is not an HTTP status', async () => {
    for (const status of [99, 600, 200.5, Number.NaN, -200]) {
      expect(() => sealResponse({ reply, status, contentType: 'application/json', body: '' }), String(status)).toThrow(TypeError)
    }
  })
})
