/**
 * A256GCM (RFC 7518 §5.3) through WebCrypto, for the pure-JS backend's
 * ECDH-ES messages (its `dir` ones go to the default backend). That backend
 * takes only key agreement from noble: noble has no AES, and `@noble/ciphers` is not a
 * dependency we allow. AES-GCM is in every WebCrypto we know of, including
 * those that lack X25519 or P-256 ECDH, so the fallback still needs
 * `crypto.subtle` — it only fills in the curves.
 */

const IV_BYTES = 12
const TAG_BYTES = 16

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle
  if (s === undefined) {
    throw new TypeError('Sealwire needs WebCrypto (crypto.subtle) for AES-GCM; browsers expose it only in secure contexts (https or localhost)')
  }
  return s
}

// TypeScript's DOM lib wants ArrayBuffer-backed views; a copy makes any Uint8Array one.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)

async function importCek(cek: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  if (cek.length !== 32) throw new RangeError('A256GCM needs a 32-byte key')
  return subtle().importKey('raw', buf(cek), { name: 'AES-GCM' }, false, [usage])
}

export interface GcmOutput {
  iv: Uint8Array
  ciphertext: Uint8Array
  tag: Uint8Array
}

export async function gcmEncrypt(cek: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<GcmOutput> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const key = await importCek(cek, 'encrypt')
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: buf(aad), tagLength: TAG_BYTES * 8 }, key, buf(plaintext)))
  return { iv, ciphertext: sealed.slice(0, sealed.length - TAG_BYTES), tag: sealed.slice(sealed.length - TAG_BYTES) }
}

export async function gcmDecrypt(cek: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  if (iv.length !== IV_BYTES) throw new Error('Invalid Initialization Vector length')
  if (tag.length !== TAG_BYTES) throw new Error('Invalid Authentication Tag length')
  const key = await importCek(cek, 'decrypt')
  const joined = new Uint8Array(ciphertext.length + TAG_BYTES)
  joined.set(ciphertext)
  joined.set(tag, ciphertext.length)
  return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: TAG_BYTES * 8 }, key, joined))
}
