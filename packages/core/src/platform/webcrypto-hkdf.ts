// TypeScript's DOM lib wants ArrayBuffer-backed views; a copy makes any Uint8Array one.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)

/** HKDF-SHA256 (RFC 5869) through WebCrypto, which every runtime Sealwire runs on has (HKDF is baseline). */
export async function webCryptoHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle
  const key = await subtle.importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits'])
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, key, length * 8))
}

/** The HKDF key imported from a secret, and a copy of the bytes it was imported from. */
interface ImportedSecret {
  readonly bytes: Uint8Array
  readonly key: Promise<CryptoKey>
}

/** By the array holding the secret: an entry goes with its array, as S goes when its session does. */
const importedSecrets = new WeakMap<Uint8Array, ImportedSecret>()

/**
 * `webCryptoHkdf` under a secret used once per request (a session's S): the
 * HKDF key is imported once per secret and kept beside its array, so a
 * request costs one `deriveBits` instead of an `importKey` and a
 * `deriveBits`, each a promise and a trip through the browser's crypto
 * thread (in Chromium, most of a session request's seal). The bytes are
 * compared on every call: a secret overwritten in place (a session forgotten,
 * its S erased) is imported again, never derived from as it was.
 */
export async function webCryptoHkdfUnderSecret(secret: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  let imported = importedSecrets.get(secret)
  if (imported === undefined || !sameBytes(imported.bytes, secret)) {
    imported = { bytes: buf(secret), key: globalThis.crypto.subtle.importKey('raw', buf(secret), 'HKDF', false, ['deriveBits']) }
    importedSecrets.set(secret, imported)
  }
  let key: CryptoKey
  try {
    key = await imported.key
  } catch (cause) {
    // Not kept: the next call imports again.
    if (importedSecrets.get(secret) === imported) importedSecrets.delete(secret)
    throw cause
  }
  return new Uint8Array(await globalThis.crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, key, length * 8))
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
