import { erasedSecretError, isErasedSecret } from '../session/erased-secret.js'
import { webCryptoBytes, webCryptoSubtle } from './webcrypto-bytes.js'

/** HKDF-SHA256 (RFC 5869) through WebCrypto, which every runtime Sealwire runs on has (HKDF is baseline). */
export async function webCryptoHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const subtle = webCryptoSubtle()
  const key = await subtle.importKey('raw', webCryptoBytes(ikm), 'HKDF', false, ['deriveBits'])
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: webCryptoBytes(salt), info: webCryptoBytes(info) }, key, length * 8))
}

/** By the array holding the secret: an entry goes with its array, as S goes when its session does. */
const importedSecrets = new WeakMap<Uint8Array, Promise<CryptoKey>>()

/**
 * `webCryptoHkdf` under a secret used once per request (a session's S): the
 * HKDF key is imported once per secret and kept beside its array, so a
 * request costs one `deriveBits` instead of an `importKey` and a
 * `deriveBits`, each a promise with a fixed cost of its own. No copy of the
 * bytes is kept. A session's S is never changed in place, only erased
 * (overwritten with zeros when its session is forgotten): an erased secret
 * drops its imported key and is refused, never derived from.
 */
export async function webCryptoHkdfUnderSecret(secret: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const key = await importedSecret(secret)
  return new Uint8Array(await webCryptoSubtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: webCryptoBytes(salt), info: webCryptoBytes(info) }, key, length * 8))
}

/**
 * The A256GCM key HKDF-SHA256(secret, salt, info) gives, as `webCryptoHkdfUnderSecret`
 * would give its 32 bytes, derived straight into a non-extractable WebCrypto key
 * (`deriveKey`): one call where the bytes and their import are two, and the key's
 * bytes never sit in a JS array.
 */
export async function webCryptoAesKeyUnderSecret(secret: Uint8Array, salt: Uint8Array, info: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const params = { name: 'HKDF', hash: 'SHA-256', salt: webCryptoBytes(salt), info: webCryptoBytes(info) }
  return webCryptoSubtle().deriveKey(params, await importedSecret(secret), { name: 'AES-GCM', length: 256 }, false, [usage])
}

/**
 * The secret's HKDF key, imported on first use and kept beside its array; a
 * failed import is not kept. An erased secret drops its key and is refused.
 */
async function importedSecret(secret: Uint8Array): Promise<CryptoKey> {
  if (isErasedSecret(secret)) {
    importedSecrets.delete(secret)
    throw erasedSecretError()
  }
  let imported = importedSecrets.get(secret)
  if (imported === undefined) {
    imported = webCryptoSubtle().importKey('raw', webCryptoBytes(secret), 'HKDF', false, ['deriveBits', 'deriveKey'])
    importedSecrets.set(secret, imported)
  }
  try {
    return await imported
  } catch (cause) {
    // Not kept: the next call imports again.
    if (importedSecrets.get(secret) === imported) importedSecrets.delete(secret)
    throw cause
  }
}

