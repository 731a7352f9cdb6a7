// TypeScript's DOM lib wants ArrayBuffer-backed views; a copy makes any Uint8Array one.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)

/** HKDF-SHA256 (RFC 5869) through WebCrypto, which every runtime Sealwire runs on has (HKDF is baseline). */
export async function webCryptoHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle
  const key = await subtle.importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits'])
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, key, length * 8))
}
