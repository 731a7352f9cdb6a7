import type { JWK } from 'jose'

/**
 * The narrow seam between the protocol logic and the cryptography of the v1
 * profile: ECDH-ES + A256GCM to a static key, `dir` + A256GCM with a shared
 * secret. The protocol modules never call jose directly, so another backend
 * (a Node-native fast path, a pure-JS fallback for runtimes whose WebCrypto
 * lacks a curve) can sit beside the jose one without touching them.
 *
 * Contract for every backend:
 * - seal functions produce JWE Compact Serialization (RFC 7516 §7.1) whose
 *   protected header is exactly `header` plus what the algorithm adds (`epk`);
 * - open functions accept only the v1 profile (ECDH-ES or dir, A256GCM, no
 *   `zip`) and throw on any failure; the caller maps every throw to one code,
 *   so a backend's error messages never reach the wire;
 * - `header`, when given, must be the protected header the caller decoded
 *   from this very `compact` (the protocol layer does, for its own checks): a
 *   backend may check the profile on it instead of decoding it again, so a
 *   header from elsewhere would bypass those checks.
 */
export interface CryptoBackend<PublicKey = unknown, PrivateKey = unknown> {
  readonly name: string
  importPublicKey(jwk: JWK): Promise<PublicKey>
  importPrivateKey(jwk: JWK): Promise<PrivateKey>
  sealToPublicKey(plaintext: Uint8Array, header: Record<string, unknown>, recipient: PublicKey): Promise<string>
  openWithPrivateKey(compact: string, key: PrivateKey, header?: Readonly<Record<string, unknown>>): Promise<Uint8Array>
  sealWithSecret(plaintext: Uint8Array, header: Record<string, unknown>, secret: Uint8Array): Promise<string>
  openWithSecret(compact: string, secret: Uint8Array, header?: Readonly<Record<string, unknown>>): Promise<Uint8Array>
  /**
   * Sessions (docs/PROTOCOL.md §11): a fresh ephemeral key pair on `crv`, its
   * private half an opaque handle that never leaves the backend. Optional: a
   * backend without it (and `agree`) cannot take part in sessions, and its
   * peers fall back to one key agreement per request.
   */
  generateEphemeral?(crv: 'P-256' | 'X25519'): Promise<{ privateKey: PrivateKey; publicJwk: EphemeralPublicJwk }>
  /**
   * ECDH (RFC 7518 §4.6.2's Z: the x-coordinate on P-256, the u-coordinate on
   * X25519) of a private key with a peer's public JWK. Throws for a peer on
   * another curve, off the curve, or of low order (an all-zero X25519 secret).
   */
  agree?(privateKey: PrivateKey, peer: Readonly<Record<string, unknown>>): Promise<Uint8Array>
  /**
   * Sessions: `sealWithSecret` and `openWithSecret` under the key of one
   * request within a session, HKDF-SHA256(`secret`, salt = UTF-8 of `jti`,
   * info = "sealwire-session-request-v1"), 32 bytes (docs/PROTOCOL.md §11).
   * Optional: a backend that has them derives that key straight into its
   * cipher (WebCrypto's `deriveKey`: one call where deriving the bytes and
   * importing them are two, and the key's bytes never sit in a JS array);
   * without them core derives the bytes and calls the two above. The
   * plaintext comes as its text, which the backend encodes to UTF-8 (into the
   * buffer its cipher reads, where it can).
   */
  sealWithinSession?(plaintext: string, header: Record<string, unknown>, secret: Uint8Array, jti: string): Promise<string>
  openWithinSession?(compact: string, secret: Uint8Array, jti: string, header?: Readonly<Record<string, unknown>>): Promise<Uint8Array>
}

/** The public members of an ephemeral key, as `epk` carries them (RFC 7518 §4.6.1.1). */
export type EphemeralPublicJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string } | { kty: 'OKP'; crv: 'X25519'; x: string }
