// TypeScript's DOM lib wants ArrayBuffer-backed views; a copy makes any Uint8Array one.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)

/** HKDF-SHA256 (RFC 5869) through WebCrypto, which every runtime Sealwire runs on has (HKDF is baseline). */
export async function webCryptoHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle
  const key = await subtle.importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits'])
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, key, length * 8))
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
 * drops its imported key and derives from the zeros it now holds, never from
 * what it held.
 */
export async function webCryptoHkdfUnderSecret(secret: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  if (isErased(secret)) {
    importedSecrets.delete(secret)
    return webCryptoHkdf(secret, salt, info, length)
  }
  let imported = importedSecrets.get(secret)
  if (imported === undefined) {
    imported = globalThis.crypto.subtle.importKey('raw', buf(secret), 'HKDF', false, ['deriveBits'])
    importedSecrets.set(secret, imported)
  }
  let key: CryptoKey
  try {
    key = await imported
  } catch (cause) {
    // Not kept: the next call imports again.
    if (importedSecrets.get(secret) === imported) importedSecrets.delete(secret)
    throw cause
  }
  return new Uint8Array(await globalThis.crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, key, length * 8))
}

function isErased(secret: Uint8Array): boolean {
  let bits = 0
  for (let i = 0; i < secret.length; i++) bits |= secret[i]!
  return bits === 0
}
