import { webCryptoSubtle } from '../platform/webcrypto-bytes.js'
import { isSealedHeadCrit } from '../protocol/sealed-head.js'
import { webCryptoSealCompact } from './webcrypto-dir.js'
import { webCryptoSharedSecret } from './webcrypto-ecdh.js'

/**
 * ECDH-ES + A256GCM in Direct Key Agreement mode (RFC 7518 §4.6) to a public
 * key, straight on WebCrypto: every v1 request a browser seals. The same
 * bytes as jose's `CompactEncrypt` (the `epk` members in jose's order, after
 * the header's own; differential tests hold them equal), so a browser bundle
 * carries no general JWE code, only this profile.
 */

/** RFC 7518 §4.6.2 OtherInfo for `enc` A256GCM, no apu/apv, 256 bits: Datalen-prefixed AlgorithmID, two empty fields, SuppPubInfo. */
const OTHER_INFO = Uint8Array.of(0, 0, 0, 7, ...Array.from('A256GCM', (c) => c.charCodeAt(0)), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0)

/**
 * A compact ECDH-ES JWE of `plaintext` to `recipient` (an ECDH P-256 or X25519
 * public CryptoKey), with `header` plus the fresh `epk` as its protected
 * header. Only this profile: no `apu`/`apv` (Sealwire never sets them), no `zip`.
 */
export async function webCryptoSealToPublicKey(plaintext: Uint8Array, header: Record<string, unknown>, recipient: CryptoKey): Promise<string> {
  if (header.alg !== 'ECDH-ES' || header.enc !== 'A256GCM') throw new TypeError('this backend seals to a public key with ECDH-ES + A256GCM only')
  if ('zip' in header || 'apu' in header || 'apv' in header || 'epk' in header || ('crit' in header && !isSealedHeadCrit(header))) {
    throw new TypeError('the header must carry no zip, apu, apv or epk, and no crit but the sealed head')
  }
  const algorithm = recipient.algorithm as EcKeyAlgorithm
  // The two curves of the profile only: an ephemeral key on another would go out labelled as one of them.
  if (recipient.type !== 'public' || !(algorithm.name === 'X25519' || (algorithm.name === 'ECDH' && algorithm.namedCurve === 'P-256'))) {
    throw new TypeError('the recipient must be an ECDH P-256 or X25519 public key')
  }
  const s = webCryptoSubtle()
  const ephemeral = (await s.generateKey(algorithm, false, ['deriveBits'])) as CryptoKeyPair
  // A low-order X25519 recipient gives an all-zero Z, refused there.
  const [{ x, y }, z] = await Promise.all([s.exportKey('jwk', ephemeral.publicKey), webCryptoSharedSecret(ephemeral.privateKey, recipient)])
  // The Concat KDF's one round (RFC 7518 §4.6.2): SHA-256(counter 1 ‖ Z ‖ OtherInfo), 59 bytes.
  const input = new Uint8Array(4 + 32 + OTHER_INFO.length)
  let cek: Uint8Array<ArrayBuffer>
  try {
    input[3] = 1
    input.set(z, 4)
    input.set(OTHER_INFO, 36)
    cek = new Uint8Array(await s.digest('SHA-256', input))
  } finally {
    z.fill(0)
    input.fill(0)
  }
  let key: CryptoKey
  try {
    key = await s.importKey('raw', cek, 'AES-GCM', false, ['encrypt'])
  } finally {
    cek.fill(0)
  }
  // As jose writes it: x, crv, kty (and y on P-256), appended after the header's own members.
  const epk = algorithm.name === 'X25519' ? { x, crv: 'X25519', kty: 'OKP' } : { x, crv: 'P-256', kty: 'EC', y }
  return webCryptoSealCompact(plaintext, { ...header, epk }, key)
}
