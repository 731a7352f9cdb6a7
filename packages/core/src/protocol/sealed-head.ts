/**
 * The sealed head (docs/PROTOCOL.md §3.5, a v1 extension): request header
 * fields and the query string carried inside the envelope, and response
 * header fields carried inside the sealed response, so that a bearer token, an
 * API key or a search term never crosses a TLS terminator in clear.
 *
 * One owner for the rules both sides apply: which fields may be sealed, how a
 * field and a query are spelt, and the caps a server checks before it builds
 * anything from them.
 */

/** Protected header member that announces the extension (and, listed in `crit`, that the plaintext carries a head). */
export const SEALED_HEAD_PARAM = 'shd'
/** The one version of the sealed head defined so far. */
export const SEALED_HEAD_VERSION = 1
/** Most header fields one sealed head may carry, in a request or a response. */
export const MAX_SEALED_FIELDS = 64
/** Most characters of sealed field names and values plus the sealed query, together. */
export const MAX_SEALED_HEAD_CHARS = 8 * 1024
/** `typ` of the small JWE that carries a response's sealed header fields. */
export const RESPONSE_HEAD_TYP = 'sealwire-hdr+jwe'

/**
 * Request fields sealed when present, unless the application keeps one
 * outside on purpose; also the fields a server restores unless it lists more
 * (`sealedRequestHeaders`).
 */
export const DEFAULT_SEALED_REQUEST_HEADERS: readonly string[] = ['authorization', 'cookie', 'x-api-key']

/**
 * Response fields sealed by default: where the answer points (`location`,
 * `content-location`, `link`, `refresh`), what it says about the caller
 * (`www-authenticate`) and its rate-limit state (`retry-after`, the
 * RateLimit fields and their common `x-` spellings).
 */
export const DEFAULT_SEALED_RESPONSE_HEADERS: readonly string[] = [
  'location',
  'content-location',
  'link',
  'refresh',
  'retry-after',
  'www-authenticate',
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
]

/**
 * Fields that are never sealed, in either direction. Each one is read by a hop
 * or describes the message on the wire rather than the application's request:
 * framing and connection management (RFC 9110 §7.6.1, RFC 9112 §6–7), the
 * envelope's own media type and encoding, forwarding (RFC 7239), method
 * overrides (refused at the binding step), conditional and range fields (their
 * 304/206 answers would confirm a guessed plaintext), `origin` (the browser's
 * own, for CORS and CSRF checks), and Sealwire's own fields.
 */
const NEVER_SEALED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'http2-settings',
  'content-type',
  'content-encoding',
  'content-range',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'via',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'range',
  'origin',
])

/**
 * Response fields that stay outside the envelope: the hops need them
 * (`date`, `vary`, `cache-control`, CORS), or the browser handles them itself
 * and no script could restore them (`set-cookie`).
 */
const NEVER_SEALED_IN_RESPONSES = new Set(['date', 'vary', 'cache-control', 'set-cookie', 'set-cookie2', 'age', 'expires', 'pragma', 'alt-svc', 'strict-transport-security'])

/** RFC 9110 §5.1 field-name token, lowercase (HTTP/2 and HTTP/3 require lowercase; names are case-insensitive). */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]{1,256}$/
/** RFC 9110 §5.5 field value: visible ASCII, SP, HTAB and obs-text; no CR, LF or NUL (no header injection). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
/** A query as `URL.search` spells it, without the "?": printable ASCII, no space, no "#". */
const QUERY = /^[\x21-\x22\x24-\x7e]*$/

/** Whether a string is a field value that can be sealed and restored (no CR, LF, NUL or other controls). */
export const isFieldValue = (value: string): boolean => FIELD_VALUE.test(value)

/**
 * Prefixes of fields that hops set for the application (forwarding, proxy
 * authentication and, by convention, `x-forwarded-*` identity: Envoy's
 * client certificate, oauth2-proxy's user).
 */
const NEVER_SEALED_PREFIXES = ['x-forwarded-', 'proxy-']

/** Why a field may not be sealed, or `undefined` when it may. */
export function unsealableReason(name: string, direction: 'request' | 'response'): string | undefined {
  if (!FIELD_NAME.test(name)) return 'is not a lowercase HTTP field name'
  if (name.startsWith(':')) return 'is a pseudo-header'
  if (name.startsWith('sealwire-')) return "is Sealwire's own"
  if (NEVER_SEALED.has(name) || NEVER_SEALED_PREFIXES.some((prefix) => name.startsWith(prefix))) return 'is read by the hops or describes the message on the wire'
  if (direction === 'response' && (NEVER_SEALED_IN_RESPONSES.has(name) || name.startsWith('access-control-'))) return 'must stay outside for caches, CORS or the browser'
  return undefined
}

/** Header fields and query a request carries inside its envelope. */
export interface SealedRequestHead {
  /** Lowercase names and their values. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  /** The query without its "?", when it was sealed. */
  readonly query: string | undefined
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Checks a sealed head as decrypted (`hdr` and `qry` members of the
 * plaintext): the caps first, by counting, before anything is built; then each
 * field. Returns the head, or the first problem (stated without the value).
 */
export function checkSealedHead(
  hdr: unknown,
  qry: unknown,
  direction: 'request' | 'response',
  allowed?: ReadonlySet<string>,
): { head: SealedRequestHead } | { problem: string } {
  if (hdr !== undefined && !isObject(hdr)) return { problem: 'hdr must be an object of field names to string values' }
  if (qry !== undefined && (typeof qry !== 'string' || qry.length > MAX_SEALED_HEAD_CHARS || !QUERY.test(qry))) return { problem: 'qry must be a query string as URL.search spells it, without "?"' }
  const names = hdr === undefined ? [] : Object.keys(hdr)
  if (names.length > MAX_SEALED_FIELDS) return { problem: `more than ${MAX_SEALED_FIELDS} sealed header fields` }
  let chars = typeof qry === 'string' ? qry.length : 0
  const headers: Array<readonly [string, string]> = []
  for (const name of names) {
    const value = (hdr as Record<string, unknown>)[name]
    if (typeof value !== 'string') return { problem: 'every sealed header value must be a string' }
    chars += name.length + value.length
    if (chars > MAX_SEALED_HEAD_CHARS) return { problem: `sealed head over ${MAX_SEALED_HEAD_CHARS} characters` }
    const reason = unsealableReason(name, direction)
    if (reason !== undefined) return { problem: `a sealed field ${reason}` }
    // A server restores only the fields it expects: a field it does not list may be one a proxy in
    // front sets for it and strips from clients (a client certificate, a user name), which no proxy
    // can strip from inside an envelope. The name is the requester's own, and the answer is sealed to it.
    if (allowed !== undefined && !allowed.has(name)) return { problem: `"${name}" is not a field this server restores: add it to the server's sealedRequestHeaders` }
    if (!FIELD_VALUE.test(value)) return { problem: 'a sealed header value holds a control character' }
    headers.push([name, value])
  }
  return { head: { headers, query: typeof qry === 'string' && qry !== '' ? qry : undefined } }
}

/** Whether a protected header's `crit` is the one this extension defines: `["shd"]` with `shd` 1 (RFC 7515 §4.1.11). */
export function isSealedHeadCrit(raw: Record<string, unknown>): boolean {
  const crit = raw.crit
  return Array.isArray(crit) && crit.length === 1 && crit[0] === SEALED_HEAD_PARAM && raw[SEALED_HEAD_PARAM] === SEALED_HEAD_VERSION
}
