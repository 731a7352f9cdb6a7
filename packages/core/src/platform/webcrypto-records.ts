import type { RecordCipher } from './platform.js'

// TypeScript's DOM lib wants ArrayBuffer-backed views; a copy makes any Uint8Array one.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => (bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes))

/**
 * Stream records (docs/PROTOCOL.md §12) through WebCrypto's AES-GCM: the key
 * imported once, non-extractable, so it never sits in a JS array afterwards.
 */
export async function webCryptoRecordCipher(key: Uint8Array): Promise<RecordCipher> {
  const subtle = globalThis.crypto.subtle
  const cryptoKey = await subtle.importKey('raw', buf(key), 'AES-GCM', false, ['encrypt', 'decrypt'])
  return {
    async seal(nonce, plaintext, out, offset) {
      out.set(new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: buf(nonce), tagLength: 128 }, cryptoKey, buf(plaintext))), offset)
    },
    async open(nonce, sealed) {
      return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: buf(nonce), tagLength: 128 }, cryptoKey, buf(sealed)))
    },
    alloc: (length) => new Uint8Array(length),
  }
}
