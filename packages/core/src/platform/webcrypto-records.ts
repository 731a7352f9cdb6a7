import { webCryptoBytes, webCryptoSubtle } from './webcrypto-bytes.js'
import type { RecordCipher } from './platform.js'

/**
 * Stream records (docs/PROTOCOL.md §12) through WebCrypto's AES-GCM: the key
 * imported once, non-extractable, so it never sits in a JS array afterwards.
 */
export async function webCryptoRecordCipher(key: Uint8Array): Promise<RecordCipher> {
  const subtle = webCryptoSubtle()
  const cryptoKey = await subtle.importKey('raw', webCryptoBytes(key), 'AES-GCM', false, ['encrypt', 'decrypt'])
  return {
    async seal(nonce, plaintext, out, offset) {
      out.set(new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: webCryptoBytes(nonce), tagLength: 128 }, cryptoKey, webCryptoBytes(plaintext))), offset)
    },
    async open(nonce, sealed) {
      return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: webCryptoBytes(nonce), tagLength: 128 }, cryptoKey, webCryptoBytes(sealed)))
    },
    alloc: (length) => new Uint8Array(length),
  }
}
