import type { CryptoBackend } from '../crypto/backend.js'

/**
 * What core takes from the runtime it runs on: the default crypto backend and
 * the codecs on the hot path of every request. Resolved once, at import,
 * through the package's `#platform` import map: the `node`, `bun` and `deno`
 * conditions get node:crypto and Buffer (`src/node/platform.ts`; Bun and Deno
 * implement both; measured there, it is faster on X25519 and on responses,
 * slower only for P-256 key agreement on Deno), every
 * other runtime the portable jose/WebCrypto build (`portable.ts`). `browser`
 * comes first, so a web bundle made by a tool that also sets a runtime's
 * condition still gets the portable build. So nothing Node-only is ever
 * reachable from a browser or Workers bundle, and no runtime needs an option.
 */
export interface Platform {
  /** The backend keys are imported into when none is named. */
  readonly backend: CryptoBackend
  /** Whether `text` is canonical unpadded base64url (RFC 4648 §3.5), as `encoding.ts`'s `isCanonicalBase64url` says. */
  readonly isCanonicalBase64url: (text: string) => boolean
  /**
   * The bytes of text already checked to be base64url (the alphabet, a possible
   * length): stray low bits in the last character are dropped, by every platform alike.
   */
  readonly decodeBase64url: (text: string) => Uint8Array
  /** Strict UTF-8: invalid bytes throw, a leading BOM is dropped (as `TextDecoder` does). */
  readonly decodeUtf8: (bytes: Uint8Array) => string
  /** The UTF-8 bytes of text, as `TextEncoder` encodes it (a lone surrogate becomes U+FFFD). */
  readonly encodeUtf8: (text: string) => Uint8Array
  /**
   * HKDF-SHA256 (RFC 5869) of `length` bytes: the session secret and each
   * session request's key (docs/PROTOCOL.md §11).
   */
  readonly hkdf: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Promise<Uint8Array>
  /**
   * The same bytes as `hkdf(secret, …)`, for a secret used again and again (a
   * session's S, once per request): a platform may keep what it derives from
   * `secret` for as long as that array lives, until it is erased (zeros): a
   * session's S is never changed in place otherwise. An erased secret is
   * refused (it throws), never derived from.
   */
  readonly hkdfUnderSecret: (secret: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Promise<Uint8Array>
  /**
   * AES-256-GCM under one stream key, for the records of a sealed stream
   * (docs/PROTOCOL.md §12): imported once per stream, then one call per
   * record of at most 64 KiB — the hot path of a streamed download or upload.
   */
  readonly recordCipher: (key: Uint8Array) => Promise<RecordCipher>
}

/**
 * AES-256-GCM with a 12-byte nonce, empty AAD and a 16-byte tag, under a key
 * fixed at import. Synchronous where the platform is (node:crypto): a record
 * of a streamed download then costs no promise of its own.
 */
export interface RecordCipher {
  /** Writes ciphertext ‖ tag of `plaintext` into `out` from `offset` (room for `plaintext.length + 16` bytes). */
  seal(nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void | Promise<void>
  /**
   * Where the platform seals synchronously (node:crypto): the ciphertext and
   * the tag of `plaintext` as the platform returned them, so a web stream
   * hands them on as they are instead of copying 64 KiB a record into a framed
   * buffer. Absent on WebCrypto, which returns ciphertext ‖ tag in one buffer.
   */
  sealInParts?(nonce: Uint8Array, plaintext: Uint8Array): readonly [ciphertext: Uint8Array, tag: Uint8Array]
  /** The plaintext of ciphertext ‖ tag; throws (or rejects) when the tag does not verify, releasing nothing. */
  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | Promise<Uint8Array>
  /**
   * Where the platform deciphers incrementally (node:crypto): record `nonce`
   * opened piece by piece as its bytes arrive, so a record split across reads
   * needs no buffer of its own. Absent on WebCrypto, which takes a record whole.
   */
  openInPieces?(nonce: Uint8Array): RecordOpening
  /**
   * A buffer of `length` bytes for the writer to fill whole: uninitialized
   * where the platform can (Node's `allocUnsafe`), since every byte is
   * written before it is read — zeroing 64 KiB a record was measurable.
   */
  alloc(length: number): Uint8Array
}

/**
 * One record being opened piece by piece. The plaintext `update` returns is
 * not authenticated yet: a reader holds it until `verify` returns.
 */
export interface RecordOpening {
  /** The plaintext of the next ciphertext bytes (unverified). */
  update(ciphertext: Uint8Array): Uint8Array
  /** Checks the record's 16-byte tag over everything updated; throws when it does not verify. */
  verify(tag: Uint8Array): void
}
