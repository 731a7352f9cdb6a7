import { JWKS_PATH, systemClock, type Clock, type JwkSet } from '@sealwire/core'
// zod/mini: a fraction of classic zod's bytes in a browser bundle, same checks.
import * as z from 'zod/mini'
import type { CryptoChoice } from './crypto/crypto-plan.js'

/** Options of `createClient`. */
export interface ClientOptions {
  /** The server's base URL: `https://api.example.com` or with a path prefix, `https://example.com/api`. */
  baseUrl: string | URL
  /**
   * Pinned server public keys (a JWK Set or an array of JWKs): no key discovery,
   * so no trust in the JWK Set download. Rotation then means shipping new keys.
   */
  keys?: JwkSet<unknown> | readonly unknown[]
  /** Where to fetch the server's JWK Set. Default: `baseUrl` + `/.well-known/sealwire/jwks.json`. */
  jwksUrl?: string | URL
  /** The `fetch` to send with. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch
  /** Local time in ms since the epoch. Default `Date.now`. The learnt server offset is added to it. */
  clock?: Clock
  /** Allow plain `http://` to non-loopback hosts. Default false: only https, and http on loopback. */
  allowInsecureTransport?: boolean
  /**
   * Cryptography for sealing: `'auto'` (default) uses WebCrypto where it has the
   * curve and the pure-JS noble backend where it lacks it; `'jose'` forces
   * WebCrypto; `'noble'` forces the pure-JS backend (tests, or to rule out a
   * faulty native implementation).
   */
  crypto?: CryptoChoice
  /**
   * The largest clock correction (seconds, either way) the client will learn
   * from the `Date` of a `stale_request`. Default 900 (15 minutes); 0 turns
   * clock-skew correction off. That `Date` is unauthenticated: without a bound,
   * whoever sits on the path could move our `iat` arbitrarily far ahead and hold
   * the envelope for later delivery.
   */
  maxClockCorrectionSeconds?: number
  /**
   * The largest response body (bytes, as received) the client reads from a
   * sealed answer; a larger one is dropped unread past the limit and raises
   * `response_decryption_failed`. Default 16 MiB.
   */
  maxResponseBytes?: number
}

/** Options as the client uses them, validated once at `createClient`. */
export interface ParsedOptions {
  base: URL
  keys: readonly unknown[] | undefined
  jwksUrl: URL
  fetch: typeof globalThis.fetch
  clock: Clock
  allowInsecureTransport: boolean
  crypto: CryptoChoice
  maxClockCorrectionMs: number
  maxResponseBytes: number
}

/** 15 minutes: a client 10 minutes off still recovers in one retry; an hour's forged shift does not pass. */
const DEFAULT_MAX_CLOCK_CORRECTION_SECONDS = 900
/** Generous for a JSON API, and still a bound on what a hostile answer can make us buffer. */
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

const url = z.union([z.string(), z.instanceof(URL)], { error: 'must be a string or a URL' })
const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', { error: `${what} must be a function` })
const nonEmpty = z.array(z.unknown()).check(z.minLength(1, { error: 'must hold at least one key' }))

const schema = z
  .object({
    baseUrl: url,
    keys: z.optional(z.union([nonEmpty, z.object({ keys: nonEmpty })], { error: 'must be a JWK Set or an array of JWKs' })),
    jwksUrl: z.optional(url),
    fetch: z.optional(fn<typeof globalThis.fetch>('fetch')),
    clock: z.optional(fn<Clock>('clock')),
    allowInsecureTransport: z.optional(z.boolean({ error: 'must be a boolean' })),
    crypto: z.optional(z.enum(['auto', 'jose', 'noble'], { error: "must be 'auto', 'jose' or 'noble'" })),
    maxClockCorrectionSeconds: z.optional(z.number({ error: 'must be a finite number of seconds' }).check(z.minimum(0, { error: 'must be >= 0' }))),
    maxResponseBytes: z.optional(z.int({ error: 'must be an integer number of bytes' }).check(z.positive({ error: 'must be > 0' }))),
  })
  .check(z.refine((o) => o.keys === undefined || o.jwksUrl === undefined, { error: 'pass keys (pinned) or jwksUrl (discovery), not both' }))

function absolute(value: string | URL, name: string): URL {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new TypeError(`${name} must be an absolute URL`)
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new TypeError(`${name} must not have a query or fragment`)
  return parsed
}

/** JWK members of private keys (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * Pinned keys ship inside the client, to every user: a private member there
 * is the server's secret published. Refused loudly instead of being
 * stripped, since the leak already happened in the build that passed it.
 */
function refusePrivateMembers(keys: readonly unknown[]): void {
  keys.forEach((key, i) => {
    if (typeof key !== 'object' || key === null) return
    const found = PRIVATE_MEMBERS.filter((m) => m in key)
    if (found.length > 0) {
      throw new TypeError(
        `createClient: keys[${i}] is a private key (it has ${found.join(', ')}): pin the public JWK Set ` +
          "(npx @sealwire/cli keys public server.jwks.json), never the server's private keys, and replace the keys it exposed",
      )
    }
  })
}

/** Parses `createClient` options; caller misuse is a `TypeError` naming the option. */
export function parseClientOptions(options: ClientOptions): ParsedOptions {
  const result = schema.safeParse(options)
  if (!result.success) {
    throw new TypeError(`createClient: ${result.error.issues.map((i) => [i.path.join('.'), i.message].filter(Boolean).join(': ')).join('; ')}`)
  }
  const o = result.data
  const base = absolute(o.baseUrl, 'baseUrl')
  const keys = o.keys === undefined ? undefined : Array.isArray(o.keys) ? o.keys : (o.keys as { keys: unknown[] }).keys
  if (keys !== undefined) refusePrivateMembers(keys)
  if (o.fetch === undefined && typeof globalThis.fetch !== 'function') throw new TypeError('createClient: no global fetch in this runtime; pass options.fetch')
  return {
    base,
    keys,
    jwksUrl: o.jwksUrl !== undefined ? new URL(o.jwksUrl) : new URL(`${base.pathname.replace(/\/+$/, '')}${JWKS_PATH}`, base.origin),
    // Unbound, a global fetch called as a method throws "Illegal invocation" in browsers.
    fetch: o.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: o.clock ?? systemClock,
    allowInsecureTransport: o.allowInsecureTransport ?? false,
    crypto: o.crypto ?? 'auto',
    maxClockCorrectionMs: (o.maxClockCorrectionSeconds ?? DEFAULT_MAX_CLOCK_CORRECTION_SECONDS) * 1000,
    maxResponseBytes: o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  }
}
