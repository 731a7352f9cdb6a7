import type { CryptoBackend } from '../crypto/backend.js'

/**
 * What core takes from the runtime it runs on: the default crypto backend and
 * the codecs on the hot path of every request. Resolved once, at import,
 * through the package's `#platform` import map: the `node` condition gets
 * node:crypto and Buffer (`src/node/platform.ts`), every other runtime the
 * portable jose/WebCrypto build (`portable.ts`). So nothing Node-only is ever
 * reachable from a browser or Workers bundle, and Node needs no option.
 */
export interface Platform {
  /** The backend keys are imported into when none is named. */
  readonly backend: CryptoBackend
  /** Whether `text` is canonical unpadded base64url (RFC 4648 §3.5), as `encoding.ts`'s `isCanonicalBase64url` says. */
  readonly isCanonicalBase64url: (text: string) => boolean
  /** The bytes of text already found canonical base64url (`isCanonicalBase64url`). */
  readonly decodeBase64url: (text: string) => Uint8Array
  /** Strict UTF-8: invalid bytes throw, a leading BOM is dropped (as `TextDecoder` does). */
  readonly decodeUtf8: (bytes: Uint8Array) => string
}
