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
 * - `header`, when given, is the protected header the caller already decoded
 *   from `compact` (the protocol layer does, for its own checks): a backend may
 *   use it instead of decoding it again.
 */
export interface CryptoBackend<PublicKey = unknown, PrivateKey = unknown> {
  readonly name: string
  importPublicKey(jwk: JWK): Promise<PublicKey>
  importPrivateKey(jwk: JWK): Promise<PrivateKey>
  sealToPublicKey(plaintext: Uint8Array, header: Record<string, unknown>, recipient: PublicKey): Promise<string>
  openWithPrivateKey(compact: string, key: PrivateKey, header?: Readonly<Record<string, unknown>>): Promise<Uint8Array>
  sealWithSecret(plaintext: Uint8Array, header: Record<string, unknown>, secret: Uint8Array): Promise<string>
  openWithSecret(compact: string, secret: Uint8Array, header?: Readonly<Record<string, unknown>>): Promise<Uint8Array>
}
