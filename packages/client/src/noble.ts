/**
 * `@sealwire/client/noble` — the pure-JS cryptography backend on its own, for
 * servers or tools on runtimes whose WebCrypto lacks a curve. The client loads
 * it by itself when needed; this entry is for using it with `@sealwire/core`
 * directly (e.g. `KeyRing.from(keys, { backend: nobleBackend })`).
 */
export { nobleBackend } from './crypto/noble-backend.js'
export type { NoblePrivateKey, NoblePublicKey } from './crypto/noble-backend.js'
