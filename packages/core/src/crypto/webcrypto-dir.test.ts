/**
 * The WebCrypto `dir` path against jose itself, the reference: whatever one
 * seals the other opens, the protected header is the same bytes, and every
 * envelope jose refuses under the v1 profile is refused here too.
 */
import { CompactEncrypt, base64url, compactDecrypt, importJWK } from 'jose'
import { generateKeyPair } from '../keys/jwk.js'
import { describe, expect, it } from 'vitest'
import { nodeBackend } from '../node/node-backend.js'
import { deriveSessionRequestKey } from '../session/session-kdf.js'
import { joseBackend } from './jose-backend.js'
import { webCryptoOpenDir, webCryptoOpenDirUnder, webCryptoSealDir, webCryptoSealDirUnder } from './webcrypto-dir.js'

const key = () => crypto.getRandomValues(new Uint8Array(32))
const bytes = (text: string) => new TextEncoder().encode(text)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const JOSE_OPTIONS = { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'], crit: { shd: true } }
const HEADER = { alg: 'dir', enc: 'A256GCM', typ: 'sealwire-res+jwe', jti: 'j', sts: 200, cty: 'application/json' }
const viaJose = (k: Uint8Array, plaintext: string, header: Record<string, unknown> = HEADER) =>
  new CompactEncrypt(bytes(plaintext)).setProtectedHeader(header as never).encrypt(k, { crit: { shd: true } })

/** Both verdicts on one envelope: 'ok' with the plaintext, or 'refused'. */
async function verdicts(compact: string, k: Uint8Array): Promise<{ jose: string; webcrypto: string }> {
  const verdict = (p: Promise<{ plaintext: Uint8Array } | Uint8Array>) =>
    p.then(
      (r) => `ok ${text(r instanceof Uint8Array ? r : r.plaintext)}`,
      () => 'refused',
    )
  return { jose: await verdict(compactDecrypt(compact, k, JOSE_OPTIONS)), webcrypto: await verdict(webCryptoOpenDir(compact, k)) }
}

describe('dir + A256GCM on WebCrypto, against jose', () => {
  it('seals what jose opens, with the protected header jose writes, and opens what jose seals', async () => {
    const k = key()
    for (const size of [0, 1, 15, 16, 17, 1024, 70_000]) {
      const plaintext = 'é'.repeat(size)
      const ours = await webCryptoSealDir(bytes(plaintext), { ...HEADER }, k)
      const theirs = await viaJose(k, plaintext)
      expect(ours.split('.')[0]).toBe(theirs.split('.')[0])
      expect(ours.split('.')[1]).toBe('')
      expect(text((await compactDecrypt(ours, k, JOSE_OPTIONS)).plaintext)).toBe(plaintext)
      expect(text(await webCryptoOpenDir(theirs, k))).toBe(plaintext)
      // With the header the caller decoded, as the protocol layer passes it.
      expect(text(await webCryptoOpenDir(theirs, k, HEADER))).toBe(plaintext)
    }
  })

  it('takes the sealed head as the one critical extension, as jose does', async () => {
    const k = key()
    const header = { ...HEADER, shd: 1, crit: ['shd'] }
    expect(await verdicts(await webCryptoSealDir(bytes('x'), header, k), k)).toEqual({ jose: 'ok x', webcrypto: 'ok x' })
    await expect(webCryptoSealDir(bytes('x'), { ...HEADER, crit: ['b64'] }, k)).rejects.toThrow()
    await expect(webCryptoSealDir(bytes('x'), { ...HEADER, zip: 'DEF' }, k)).rejects.toThrow()
    await expect(webCryptoSealDir(bytes('x'), { ...HEADER, alg: 'A256KW' }, k)).rejects.toThrow()
    await expect(webCryptoSealDir(bytes('x'), HEADER, k.subarray(0, 16))).rejects.toThrow()
  })

  it('refuses every envelope jose refuses: profile, structure, lengths, and one changed bit anywhere', async () => {
    const k = key()
    const good = await viaJose(k, 'secret')
    const [h, , iv, ct, tag] = good.split('.') as [string, string, string, string, string]
    const withHeader = (edit: Record<string, unknown>) => [base64url.encode(JSON.stringify({ ...HEADER, ...edit })), '', iv, ct, tag].join('.')
    const flip = (part: string, at: number) => part.slice(0, at) + (part[at] === 'A' ? 'B' : 'A') + part.slice(at + 1)
    const cases: Record<string, string> = {
      'another alg': withHeader({ alg: 'A256KW' }),
      'another enc': withHeader({ enc: 'A128GCM' }),
      zip: withHeader({ zip: 'DEF' }),
      'an unknown crit': withHeader({ crit: ['b64'], b64: false }),
      'crit shd without shd': withHeader({ crit: ['shd'] }),
      'an encrypted key': [h, 'AAAA', iv, ct, tag].join('.'),
      'a 9-byte IV': [h, '', base64url.encode(new Uint8Array(9)), ct, tag].join('.'),
      'a 15-byte tag': [h, '', iv, ct, tag.slice(0, 20)].join('.'),
      'no tag': [h, '', iv, ct, ''].join('.'),
      'four parts': [h, '', iv, ct].join('.'),
      'six parts': [h, '', iv, ct, tag, ''].join('.'),
      'a header that is not JSON': [base64url.encode('nope'), '', iv, ct, tag].join('.'),
      'a header that is an array': [base64url.encode('[1]'), '', iv, ct, tag].join('.'),
      'a changed header': [flip(h, 5), '', iv, ct, tag].join('.'),
      'a changed IV': [h, '', flip(iv, 3), ct, tag].join('.'),
      'a changed ciphertext': [h, '', iv, flip(ct, 2), tag].join('.'),
      'a changed tag': [h, '', iv, ct, flip(tag, 4)].join('.'),
      'a character outside base64url': [h, '', iv, `${ct.slice(0, -1)}+`, tag].join('.'),
      'a part one character too long to be bytes': [h, '', iv, `${ct}A`, tag].join('.'),
      'the ciphertext cut': [h, '', iv, ct.slice(0, -4), tag].join('.'),
    }
    for (const [name, compact] of Object.entries(cases)) {
      const v = await verdicts(compact, k)
      expect(v.webcrypto, name).toBe('refused')
      // Never laxer than jose; on spelling it may be stricter (jose's decoder skips what base64url does not allow).
      if (v.jose === 'refused') expect(v.webcrypto, name).toBe('refused')
    }
    expect(await verdicts(good, key())).toEqual({ jose: 'refused', webcrypto: 'refused' })
    await expect(webCryptoOpenDir(good, k.subarray(0, 16))).rejects.toThrow()
    await expect(webCryptoOpenDir(1 as unknown as string, k)).rejects.toThrow()
    expect(await verdicts(good, k)).toEqual({ jose: 'ok secret', webcrypto: 'ok secret' })
  })

  it('refuses another spelling of the same bytes: the standard alphabet, padding, whitespace', async () => {
    const k = key()
    let good = await viaJose(k, 'secret'.repeat(40))
    while (!/[-_]/.test(good.split('.')[3]!)) good = await viaJose(k, 'secret'.repeat(40))
    const [h, , iv, ct, tag] = good.split('.') as [string, string, string, string, string]
    const respelled = {
      'the standard alphabet': ct.replace('-', '+').replace('_', '/'),
      padding: ct.length % 4 === 0 ? `${ct}====`.slice(0, ct.length + 4) : `${ct}${'='.repeat(4 - (ct.length % 4))}`,
      whitespace: `${ct.slice(0, 8)} ${ct.slice(8)}`,
    }
    for (const [name, spelled] of Object.entries(respelled)) {
      await expect(webCryptoOpenDir([h, '', iv, spelled, tag].join('.'), k), name).rejects.toThrow()
    }
    await expect(webCryptoOpenDir([h, '', ` ${iv.slice(1)}`, ct, tag].join('.'), k)).rejects.toThrow()
    expect(text(await webCryptoOpenDir(good, k))).toBe('secret'.repeat(40))
  })

  it('refuses the profile from a header the caller decoded, even where the bytes would open', async () => {
    const k = key()
    const good = await viaJose(k, 'secret')
    await expect(webCryptoOpenDir(good, k, { ...HEADER, zip: 'DEF' })).rejects.toThrow()
    await expect(webCryptoOpenDir(good, k, { ...HEADER, alg: 'ECDH-ES' })).rejects.toThrow()
  })
})

describe('within a session: the key derived straight into WebCrypto, against its bytes', () => {
  const header = { alg: 'dir', enc: 'A256GCM', typ: 'sealwire-req+jwe', sid: 'AAAAAAAAAAAAAAAAAAAAAA', jti: 'x' }
  const jtiOf = () => base64url.encode(crypto.getRandomValues(new Uint8Array(16)))

  it('seals what the bytes open and opens what the bytes seal, on every text, for jose and the Node backend alike', async () => {
    const secret = key()
    for (const plaintext of ['', '{"a":1}', 'é€😀'.repeat(500), `lone \ud800 surrogate`, 'x'.repeat(70_000)]) {
      const jti = jtiOf()
      const cek = await deriveSessionRequestKey(secret, jti)
      const sealed = await joseBackend.sealWithinSession!(plaintext, { ...header, jti }, secret, jti)
      expect(text(await webCryptoOpenDir(sealed, cek))).toBe(new TextDecoder().decode(bytes(plaintext)))
      expect(text(await nodeBackend.openWithSecret(sealed, cek))).toBe(new TextDecoder().decode(bytes(plaintext)))
      const back = await nodeBackend.sealWithSecret(bytes(plaintext), { ...header, jti }, cek)
      expect(text(await joseBackend.openWithinSession!(back, secret, jti))).toBe(new TextDecoder().decode(bytes(plaintext)))
      // Another request's key opens nothing.
      await expect(joseBackend.openWithinSession!(back, secret, jtiOf())).rejects.toThrow()
    }
  })

  it('an erased secret is refused: neither the key it held nor its zeros (a key anyone can compute) seals or opens', async () => {
    const secret = key()
    const jti = jtiOf()
    const sealed = await joseBackend.sealWithinSession!('kept', { ...header, jti }, secret, jti)
    expect(text(await joseBackend.openWithinSession!(sealed, secret, jti))).toBe('kept')
    secret.fill(0)
    await expect(joseBackend.openWithinSession!(sealed, secret, jti)).rejects.toThrow(/erased/)
    await expect(joseBackend.sealWithinSession!('zeros', { ...header, jti }, secret, jti)).rejects.toThrow(/erased/)
  })

  it('many seals and opens in flight at once each keep their own bytes (the shared scratch)', async () => {
    const secret = key()
    const jobs = Array.from({ length: 200 }, async (_, i) => {
      const jti = jtiOf()
      const plaintext = `${i}:${'y'.repeat(i * 37)}`
      const sealed = await joseBackend.sealWithinSession!(plaintext, { ...header, jti }, secret, jti)
      return text(await joseBackend.openWithinSession!(sealed, secret, jti)) === plaintext
    })
    expect((await Promise.all(jobs)).every(Boolean)).toBe(true)
    // Keys already made, so every call resumes in the same turn: any await between filling the scratch and
    // handing it to WebCrypto would let the next call overwrite it.
    const aes = await crypto.subtle.importKey('raw', key(), 'AES-GCM', false, ['encrypt', 'decrypt'])
    const ready = () => Promise.resolve(aes)
    const texts = Array.from({ length: 50 }, (_, i) => `${i}:${'z'.repeat(i * 53)}`)
    const sealed = await Promise.all(texts.map((t) => webCryptoSealDirUnder(t, { ...header }, ready)))
    const opened = await Promise.all(sealed.map((c) => webCryptoOpenDirUnder(c, undefined, ready)))
    expect(opened.map(text)).toEqual(texts)
  })
})

describe('ECDH-ES + A256GCM to a public key on WebCrypto, against jose', () => {
  for (const crv of ['X25519', 'P-256'] as const) {
    it(`${crv}: jose and the Node backend open what it seals; the header is jose's, member for member`, async () => {
      const { privateJwk, publicJwk } = await generateKeyPair(crv)
      const recipient = (await joseBackend.importPublicKey(publicJwk)) as CryptoKey
      const header = { alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: publicJwk.kid, iat: 1, jti: 'j', htm: 'POST', htu: '/x', shd: 1, crit: ['shd'] }
      const joseKey = await importJWK({ ...privateJwk, alg: 'ECDH-ES' }, 'ECDH-ES')
      const nodeKey = await nodeBackend.importPrivateKey(privateJwk)
      for (const plaintext of ['', 'é€😀'.repeat(300)]) {
        const ours = await joseBackend.sealToPublicKey(bytes(plaintext), { ...header }, recipient)
        const theirs = await new CompactEncrypt(bytes(plaintext)).setProtectedHeader(header as never).encrypt(recipient, { crit: { shd: true } })
        const members = (c: string) => JSON.parse(text(base64url.decode(c.split('.')[0]!))) as Record<string, unknown>
        expect(Object.keys(members(ours))).toEqual(Object.keys(members(theirs)))
        expect(Object.keys(members(ours).epk as object)).toEqual(Object.keys(members(theirs).epk as object))
        expect(ours.split('.')[1]).toBe('')
        expect(text((await compactDecrypt(ours, joseKey, { keyManagementAlgorithms: ['ECDH-ES'], contentEncryptionAlgorithms: ['A256GCM'], crit: { shd: true } })).plaintext)).toBe(plaintext)
        expect(text(await nodeBackend.openWithPrivateKey(ours, nodeKey))).toBe(plaintext)
      }
      // Each seal is its own key agreement.
      const a = await joseBackend.sealToPublicKey(bytes('x'), { ...header }, recipient)
      const b = await joseBackend.sealToPublicKey(bytes('x'), { ...header }, recipient)
      expect(JSON.parse(text(base64url.decode(a.split('.')[0]!))).epk).not.toEqual(JSON.parse(text(base64url.decode(b.split('.')[0]!))).epk)
    })
  }

  it('seals only its profile', async () => {
    const { publicJwk } = await generateKeyPair('X25519')
    const recipient = await joseBackend.importPublicKey(publicJwk)
    const base = { alg: 'ECDH-ES', enc: 'A256GCM' }
    for (const header of [{ ...base, alg: 'ECDH-ES+A256KW' }, { ...base, enc: 'A128GCM' }, { ...base, zip: 'DEF' }, { ...base, apu: 'QQ' }, { ...base, epk: {} }, { ...base, crit: ['b64'] }]) {
      await expect(joseBackend.sealToPublicKey(bytes('x'), header, recipient), JSON.stringify(header)).rejects.toThrow()
    }
    await expect(joseBackend.sealToPublicKey(bytes('x'), base, key())).rejects.toThrow(/imported by this backend/)
    // Another curve, or a private key: refused, never sealed under a mislabelled epk.
    const p384 = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, true, ['deriveBits'])) as CryptoKeyPair
    await expect(joseBackend.sealToPublicKey(bytes('x'), base, p384.publicKey)).rejects.toThrow(/P-256 or X25519 public key/)
    const x = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair
    await expect(joseBackend.sealToPublicKey(bytes('x'), base, x.privateKey)).rejects.toThrow(/P-256 or X25519 public key/)
  })
})
