import { joseBackend } from '../crypto/jose-backend.js'
import { fromB64u, isCanonicalBase64url, utf8 } from '../encoding.js'
import type { Platform } from './platform.js'
import { webCryptoHkdf, webCryptoHkdfUnderSecret } from './webcrypto-hkdf.js'
import { webCryptoRecordCipher } from './webcrypto-records.js'

// fatal: invalid UTF-8 is an error, not U+FFFD, so a mangled plaintext cannot pass as another.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Browsers, Workers and any runtime but Node, Bun and Deno: jose over WebCrypto, web-standard codecs. */
export const platform: Platform = {
  backend: joseBackend,
  isCanonicalBase64url,
  decodeBase64url: fromB64u,
  decodeUtf8: (bytes) => decoder.decode(bytes),
  encodeUtf8: utf8,
  hkdf: webCryptoHkdf,
  hkdfUnderSecret: webCryptoHkdfUnderSecret,
  recordCipher: webCryptoRecordCipher,
}
