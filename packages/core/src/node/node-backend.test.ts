import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isCanonicalBase64url } from '../encoding.js'
import { generateKeyPair } from '../keys/jwk.js'
import { nodeBackend, strictBase64url } from './node-backend.js'
import { platform } from './platform.js'

const HEADER = { alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: 'k' }

describe('strictBase64url / platform.isCanonicalBase64url', () => {
  it('agree with the RFC 7515 alphabet regex on valid text and on every kind of junk, short and long', () => {
    const valid = randomBytes(3000).toString('base64url')
    const junk = ['+', '/', '=', ' ', '\n', '.', '!', '\u00e9', '\u0141', '\u{1F600}', '\0']
    for (const base of [valid.slice(0, 10), valid.slice(0, 11), valid]) {
      expect(platform.isCanonicalBase64url(base)).toBe(isCanonicalBase64url(base))
      expect(strictBase64url(base)).toEqual(Buffer.from(base, 'base64url'))
      for (const bad of junk) {
        for (const at of [0, Math.floor(base.length / 2), base.length]) {
          for (const text of [base.slice(0, at) + bad + base.slice(at), base.slice(0, at) + bad + base.slice(at + 1)]) {
            expect(platform.isCanonicalBase64url(text), JSON.stringify(bad)).toBe(isCanonicalBase64url(text))
          }
        }
      }
    }
  })

  it('refuses a long part re-spelled with stray low bits in its last character, as the regex path does', () => {
    const text = randomBytes(1000).toString('base64url') // 1334 characters: a partial last group
    expect(platform.isCanonicalBase64url(text)).toBe(true)
    const last = text.at(-1)!
    const respelled = text.slice(0, -1) + (last === 'A' ? 'B' : last === 'Q' ? 'R' : String.fromCharCode(last.charCodeAt(0) ^ 1))
    expect(platform.isCanonicalBase64url(respelled)).toBe(isCanonicalBase64url(respelled))
    expect(platform.isCanonicalBase64url(text.slice(0, -1) + 'B')).toBe(false)
  })

  it('refuses a length no byte string encodes to (4n + 1 characters)', () => {
    expect(() => strictBase64url('A'.repeat(4001))).toThrow()
    expect(platform.isCanonicalBase64url('A'.repeat(4001))).toBe(false)
  })

  it('reads a character above U+00FF as junk, not by its low byte (Buffer would read U+0141 as "A")', () => {
    expect(Buffer.from('QUJD\u0141A', 'base64url')).toHaveLength(4)
    expect(() => strictBase64url('QUJD\u0141A')).toThrow()
  })
})

describe('platform.decodeUtf8', () => {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  it('decodes as the fatal TextDecoder does, dropping a leading BOM', () => {
    for (const text of ['', 'plain', '{"a":"é€😀"}', '\uFEFF{"bom":1}', '\uFEFF\uFEFFtwice']) {
      const bytes = new TextEncoder().encode(text)
      expect(platform.decodeUtf8(bytes)).toBe(decoder.decode(bytes))
    }
  })
  it('throws where the fatal TextDecoder throws', () => {
    for (const bytes of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]]) {
      expect(() => decoder.decode(new Uint8Array(bytes))).toThrow()
      expect(() => platform.decodeUtf8(new Uint8Array(bytes))).toThrow()
    }
  })
})

describe('platform.encodeUtf8', () => {
  it('encodes as TextEncoder does, a lone surrogate as U+FFFD, into a plain view of the bytes', () => {
    const encoder = new TextEncoder()
    for (const text of ['', 'plain', '{"a":"é€😀"}', 'lone \uD800 high', 'lone \uDC00 low', 'x'.repeat(5000)]) {
      const bytes = platform.encodeUtf8(text)
      expect(bytes).toEqual(encoder.encode(text))
      expect(bytes.byteLength).toBe(encoder.encode(text).byteLength)
    }
  })
})

describe('nodeBackend', () => {
  it('refuses a private JWK whose d does not belong to its x/y, on both curves', async () => {
    for (const crv of ['P-256', 'X25519'] as const) {
      const a = await generateKeyPair(crv)
      const b = await generateKeyPair(crv)
      await expect(nodeBackend.importPrivateKey({ ...a.privateJwk, d: b.privateJwk.d })).rejects.toThrow(/does not match/)
      await expect(nodeBackend.importPrivateKey(a.privateJwk)).resolves.toMatchObject({ crv })
    }
  })

  it('refuses an off-curve P-256 recipient at import', async () => {
    const { publicJwk } = await generateKeyPair('P-256')
    const y = Buffer.from(publicJwk.y!, 'base64url')
    y[31]! ^= 1
    await expect(nodeBackend.importPublicKey({ ...publicJwk, y: y.toString('base64url') })).rejects.toThrow()
  })

  it('refuses to seal to an X25519 low-order point (all-zero shared secret)', async () => {
    const zero = await nodeBackend.importPublicKey({ kty: 'OKP', crv: 'X25519', x: Buffer.alloc(32).toString('base64url') })
    await expect(nodeBackend.sealToPublicKey(new Uint8Array(1), HEADER, zero)).rejects.toThrow()
  })

  it('returns plain Uint8Arrays, not Buffers', async () => {
    const rk = randomBytes(32)
    const jwe = await nodeBackend.sealWithSecret(new Uint8Array([1, 2]), { alg: 'dir', enc: 'A256GCM' }, rk)
    const opened = await nodeBackend.openWithSecret(jwe, rk)
    expect(opened.constructor).toBe(Uint8Array)
    expect([...opened]).toEqual([1, 2])
  })
})
