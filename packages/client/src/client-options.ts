import { DEFAULT_SEALED_REQUEST_HEADERS, JWKS_PATH, SIGNED_JWKS_PATH, systemClock, unsealableReason, type Clock, type JwkSet } from '@sealwire/core'
import type { JWK } from 'jose'
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
  /**
   * Where to fetch the server's JWK Set. Default: `baseUrl` + `/.well-known/sealwire/jwks.json`,
   * or `/.well-known/sealwire/jwks.jwt` with `jwksRoot`.
   */
  jwksUrl?: string | URL
  /**
   * The root key of signed key sets, pinned: its public JWK (EC P-256) or its
   * RFC 7638 thumbprint (`sealwire keys root` prints both). The client then
   * fetches the signed JWK Set and accepts only one this root signed that has
   * not expired — whoever sits on the path (a TLS-terminating proxy included)
   * cannot substitute his own keys — while the server still rotates its
   * encryption keys without a client release (docs/PROTOCOL.md §2.1).
   */
  jwksRoot?: JWK | string
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
   * from the `Date` of the key set's answer or of a `stale_request`. Default 900
   * (15 minutes); 0 turns clock-skew correction off. That `Date` is
   * unauthenticated: without a bound, whoever sits on the path could date our
   * later requests arbitrarily far ahead and hold one for later delivery (it
   * would still run at most once).
   */
  maxClockCorrectionSeconds?: number
  /**
   * The largest sealed answer (envelope bytes, as received) the client reads;
   * a larger one is dropped unread past the limit and raises
   * `response_decryption_failed`, its message giving the size in both units.
   * The envelope spells the plaintext in base64url (4 bytes for 3) plus a
   * header, so a limit holds about 3/4 of it in plaintext: the default
   * 16 MiB is about 12 MiB of response body.
   */
  maxResponseBytes?: number
  /**
   * Request header fields to carry inside the envelope, never in clear
   * (docs/PROTOCOL.md §3.5), besides the default `authorization`, `cookie`
   * (Node: browsers send their own cookies in clear) and `x-api-key`: API
   * keys, tenant ids, idempotency keys. A listed field is sealed when the
   * request has it. Per request: `init.sealHeaders`.
   */
  sealHeaders?: readonly string[]
  /**
   * Header fields to send in clear although they would be sealed: for a
   * gateway that must read a credential at the edge (an API gateway
   * authorizer). Whoever terminates TLS on the way then reads it, and can
   * act with it. Per request: `init.clearHeaders`.
   */
  clearHeaders?: readonly string[]
  /**
   * Carry the query string inside the envelope (default true): the request
   * line and the readable envelope header then show the path only. `false`
   * sends it in clear, bound but readable. Per request: `init.sealQuery`.
   */
  sealQuery?: boolean
  /**
   * Use forward-secret sessions when the server offers them (default true,
   * docs/PROTOCOL.md §11): one key agreement per session instead of per
   * request, the session secret kept in this client's memory only. `false`
   * seals every request to the server's static key, as servers without
   * sessions see it anyway.
   */
  sessions?: boolean
}

/** Options as the client uses them, validated once at `createClient`. */
export interface ParsedOptions {
  base: URL
  keys: readonly unknown[] | undefined
  jwksUrl: URL
  jwksRoot: JWK | string | undefined
  fetch: typeof globalThis.fetch
  clock: Clock
  allowInsecureTransport: boolean
  crypto: CryptoChoice
  maxClockCorrectionMs: number
  maxResponseBytes: number
  /** Lowercase names of the fields sealed when present: the defaults and `sealHeaders`, less `clearHeaders`. */
  sealHeaders: ReadonlySet<string>
  sealQuery: boolean
  sessions: boolean
}

/** 15 minutes: a client 10 minutes off still recovers in one retry; an hour's forged shift does not pass. */
const DEFAULT_MAX_CLOCK_CORRECTION_SECONDS = 900
/** Generous for a JSON API, and still a bound on what a hostile answer can make us buffer. */
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

type Check = (value: unknown) => string | undefined

const url: Check = (v) => (typeof v === 'string' || v instanceof URL ? undefined : 'must be a string or a URL')
const fn = (what: string): Check => (v) => (typeof v === 'function' ? undefined : `${what} must be a function`)

/**
 * One check per option, each returning its message: written without a schema
 * library, as zod was a third of the browser client's eager bundle
 * (its 20 KB budget). `undefined` values mean "not given".
 */
const checks: Record<keyof ClientOptions, Check> = {
  baseUrl: url,
  keys: (v) => {
    // The same paths zod named: `keys` for an array, `keys.keys` for a JWK Set.
    if (Array.isArray(v)) return v.length > 0 ? undefined : 'must hold at least one key'
    const list = typeof v === 'object' && v !== null ? (v as { keys?: unknown }).keys : undefined
    if (!Array.isArray(list)) return 'must be a JWK Set or an array of JWKs'
    return list.length > 0 ? undefined : '.keys: must hold at least one key'
  },
  jwksUrl: url,
  jwksRoot: (v) =>
    // The PRIVATE root key (what `sealwire keys root` writes) would put the power to sign key sets in every client bundle.
    typeof v === 'object' && v !== null && 'd' in v
      ? 'is the PRIVATE root key (it has "d"): pin the public JWK (`sealwire keys root` prints it) or its thumbprint, and keep the private key offline'
      : (typeof v === 'string' ? /^[\w-]{43}$/.test(v) : typeof v === 'object' && v !== null && (v as JWK).kty === 'EC' && (v as JWK).crv === 'P-256')
        ? undefined
        : 'must be the root public JWK (EC P-256) or its 43-character RFC 7638 thumbprint',
  fetch: fn('fetch'),
  clock: fn('clock'),
  allowInsecureTransport: (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean'),
  crypto: (v) => (v === 'auto' || v === 'jose' || v === 'noble' ? undefined : "must be 'auto', 'jose' or 'noble'"),
  maxClockCorrectionSeconds: (v) => (typeof v !== 'number' || !Number.isFinite(v) ? 'must be a finite number of seconds' : v < 0 ? 'must be >= 0' : undefined),
  maxResponseBytes: (v) => (typeof v !== 'number' || !Number.isSafeInteger(v) ? 'must be an integer number of bytes' : v <= 0 ? 'must be > 0' : undefined),
  sealHeaders: (v) => headerNamesProblem(v, true),
  clearHeaders: (v) => headerNamesProblem(v, false),
  sealQuery: (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean'),
  sessions: (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean'),
}

/** A list of header field names; with `sealed`, each one must be sealable. */
export function headerNamesProblem(v: unknown, sealed: boolean): string | undefined {
  if (!Array.isArray(v)) return 'must be an array of header field names'
  for (const name of v) {
    if (typeof name !== 'string') return 'must be an array of header field names'
    const reason = unsealableReason(name.toLowerCase(), 'request')
    // The fix is always the same: such a field travels as HTTP sends it, so it has no place in the list.
    if (sealed && reason !== undefined) return `"${name}" cannot be sealed: it ${reason}; remove it from the list`
  }
  return undefined
}

/** The fields sealed when present: the defaults plus `seal`, less `clear`. */
export function sealedNames(base: Iterable<string>, seal: readonly string[] | undefined, clear: readonly string[] | undefined): Set<string> {
  const names = new Set(base)
  for (const name of seal ?? []) names.add(name.toLowerCase())
  for (const name of clear ?? []) names.delete(name.toLowerCase())
  return names
}

/** Every problem of `options`, as "option: message" (".sub: message" names a member inside it), in option order. */
function optionProblems(options: unknown): string[] {
  if (typeof options !== 'object' || options === null) return ['options must be an object']
  const o = options as Record<string, unknown>
  const problems: string[] = []
  for (const [name, check] of Object.entries(checks)) {
    const value = o[name]
    if (value === undefined && name !== 'baseUrl') continue
    const message = check(value)
    if (message !== undefined) problems.push(message.startsWith('.') ? `${name}${message}` : `${name}: ${message}`)
  }
  if (problems.length === 0 && o.keys !== undefined && o.jwksUrl !== undefined) problems.push('pass keys (pinned) or jwksUrl (discovery), not both')
  if (problems.length === 0 && o.keys !== undefined && o.jwksRoot !== undefined) problems.push('pass keys (pinned) or jwksRoot (signed key sets), not both')
  return problems
}

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
  const problems = optionProblems(options)
  if (problems.length > 0) throw new TypeError(`createClient: ${problems.join('; ')}`)
  const o = options
  const base = absolute(o.baseUrl, 'baseUrl')
  const keys = o.keys === undefined ? undefined : Array.isArray(o.keys) ? o.keys : (o.keys as { keys: unknown[] }).keys
  if (keys !== undefined) refusePrivateMembers(keys)
  if (o.fetch === undefined && typeof globalThis.fetch !== 'function') throw new TypeError('createClient: no global fetch in this runtime; pass options.fetch')
  return {
    base,
    keys,
    jwksUrl: o.jwksUrl !== undefined ? new URL(o.jwksUrl) : new URL(`${base.pathname.replace(/\/+$/, '')}${o.jwksRoot === undefined ? JWKS_PATH : SIGNED_JWKS_PATH}`, base.origin),
    jwksRoot: o.jwksRoot as JWK | string | undefined,
    // Unbound, a global fetch called as a method throws "Illegal invocation" in browsers.
    fetch: o.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: o.clock ?? systemClock,
    allowInsecureTransport: o.allowInsecureTransport ?? false,
    crypto: o.crypto ?? 'auto',
    maxClockCorrectionMs: (o.maxClockCorrectionSeconds ?? DEFAULT_MAX_CLOCK_CORRECTION_SECONDS) * 1000,
    maxResponseBytes: o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    sealHeaders: sealedNames(DEFAULT_SEALED_REQUEST_HEADERS, o.sealHeaders, o.clearHeaders),
    sealQuery: o.sealQuery ?? true,
    sessions: o.sessions ?? true,
  }
}
