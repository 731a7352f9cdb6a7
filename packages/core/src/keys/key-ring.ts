import type { CryptoBackend } from '../crypto/backend.js'
import { platform } from '#platform'
import { importPrivateJwk, toPublicJwk, type JwkSet, type PrivateJwk, type PublicJwk } from './jwk.js'

/** One private key held by a ring, imported once into its backend. */
export interface RingKey {
  readonly kid: string
  readonly crv: PublicJwk['crv']
  readonly publicJwk: PublicJwk
  /** The backend's imported handle; opaque to protocol code. */
  readonly handle: unknown
  /** Retired keys still open envelopes (a grace period for cached clients) but are no longer advertised. */
  readonly retired: boolean
}

/**
 * A private JWK as a ring persists it (`privateJwks()`): `retired: true` marks
 * a key that opens envelopes but is not advertised. A JWK member of our own
 * (RFC 7517 §4: members not understood are ignored), so a reader that predates
 * it still loads the set — it would advertise the retired key again, nothing worse.
 */
export type PersistedPrivateJwk = PrivateJwk & { retired?: true }

export interface KeyRingOptions {
  /** Cryptography backend the keys are imported into. Default: `defaultBackend` (node:crypto on Node, Bun and Deno; jose over WebCrypto elsewhere). */
  backend?: CryptoBackend
}

/**
 * A server's private keys: several at once, one primary advertised first,
 * lookup by `kid`, retire (stop advertising, keep opening), remove (forget).
 *
 * Rotation: `add(newKey, { primary: true })`, then `retire(oldKid)` while
 * cached clients drain (at least the JWK Set's `max-age`), then `remove(oldKid)`;
 * a client that still uses it gets `unknown_key` and refetches the set.
 *
 * @example
 * const ring = await KeyRing.from({ keys: [p256PrivateJwk, x25519PrivateJwk] })
 * res.json(ring.publicJwks())
 */
export class KeyRing {
  readonly backend: CryptoBackend
  readonly #keys = new Map<string, RingKey & { privateJwk: PrivateJwk }>()
  #primary: string | undefined

  constructor(options: KeyRingOptions = {}) {
    this.backend = options.backend ?? platform.backend
  }

  /**
   * A ring holding every key of a private JWK Set (or array), as
   * `privateJwks()` wrote it: the first key not marked `retired` is primary,
   * keys marked `retired: true` open envelopes without being advertised.
   *
   * @example
   * const ring = await KeyRing.from(JSON.parse(await readFile('server.jwks.json', 'utf8')))
   */
  static async from(jwks: JwkSet<unknown> | readonly unknown[], options?: KeyRingOptions): Promise<KeyRing> {
    const keys = Array.isArray(jwks) ? jwks : (jwks as JwkSet<unknown>).keys
    if (!Array.isArray(keys) || keys.length === 0) throw new TypeError('a key ring needs at least one private JWK')
    const ring = new KeyRing(options)
    const retired: string[] = []
    let primary: string | undefined
    for (const key of keys) {
      const kid = await ring.add(key)
      const marker = (key as { retired?: unknown }).retired
      if (marker !== undefined && typeof marker !== 'boolean') throw new TypeError(`private JWK ${kid}: retired must be true or false`)
      if (marker === true) retired.push(kid)
      else primary ??= kid
    }
    if (primary === undefined) throw new TypeError('every key of the set is retired: a key ring needs one key it may advertise')
    ring.setPrimary(primary)
    for (const kid of retired) ring.retire(kid)
    return ring
  }

  /** Adds a private JWK (validated, imported once); returns its kid. The first key added is primary. */
  async add(jwk: unknown, options: { primary?: boolean } = {}): Promise<string> {
    const privateJwk = await importPrivateJwk(jwk)
    let handle: unknown
    try {
      handle = await this.backend.importPrivateKey(privateJwk)
    } catch (cause) {
      // Well-formed members that do not make a key: typically a `d` pasted beside another key's x/y.
      throw new TypeError(`private JWK ${privateJwk.kid} is not a valid ${privateJwk.crv} key (does its d belong to its x/y?)`, { cause })
    }
    const { kid, crv } = privateJwk
    this.#keys.set(kid, { kid, crv, publicJwk: toPublicJwk(privateJwk), handle, retired: false, privateJwk })
    if (options.primary === true || this.#primary === undefined) this.#primary = kid
    return kid
  }

  /** The key with this kid, retired or not; undefined when the ring does not hold it. */
  get(kid: string): RingKey | undefined {
    return this.#keys.get(kid)
  }

  get primaryKid(): string | undefined {
    return this.#primary
  }

  setPrimary(kid: string): void {
    const key = this.#require(kid)
    if (key.retired) throw new TypeError(`key ${kid} is retired and cannot be primary`)
    this.#primary = kid
  }

  /** Stops advertising a key; envelopes made for it still open until `remove`. */
  retire(kid: string): void {
    const key = this.#require(kid)
    if (this.#primary === kid) throw new TypeError('the primary key cannot be retired: make another key primary first')
    this.#keys.set(kid, { ...key, retired: true })
  }

  /** Forgets a key: envelopes made for it answer `unknown_key`. */
  remove(kid: string): void {
    this.#require(kid)
    if (this.#primary === kid) throw new TypeError('the primary key cannot be removed: make another key primary first')
    this.#keys.delete(kid)
  }

  /** The public JWK Set to serve at the JWKS path: advertised keys, primary first. */
  publicJwks(): JwkSet<PublicJwk> {
    const keys = [...this.#keys.values()].filter((k) => !k.retired).sort((a, b) => Number(b.kid === this.#primary) - Number(a.kid === this.#primary))
    return { keys: keys.map((k) => ({ ...k.publicJwk })) }
  }

  /**
   * The private JWK Set, for persisting the ring; `KeyRing.from` restores it
   * exactly: the primary first, then the other advertised keys, then the
   * retired ones marked `retired: true`. Handle with care: it is the secret.
   *
   * @example
   * await writeFile('server.jwks.json', JSON.stringify(ring.privateJwks()), { mode: 0o600 })
   */
  privateJwks(): JwkSet<PersistedPrivateJwk> {
    const rank = (k: RingKey): number => (k.kid === this.#primary ? 0 : k.retired ? 2 : 1)
    const keys = [...this.#keys.values()].sort((a, b) => rank(a) - rank(b)) // stable: insertion order within a rank
    return { keys: keys.map((k) => (k.retired ? { ...k.privateJwk, retired: true as const } : { ...k.privateJwk })) }
  }

  #require(kid: string) {
    const key = this.#keys.get(kid)
    if (key === undefined) throw new TypeError(`no key with kid ${kid} in the ring`)
    return key
  }
}
