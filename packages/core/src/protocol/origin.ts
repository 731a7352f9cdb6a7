/**
 * The origin a request is sent to, as the `hto` member of the protected header
 * binds it (docs/PROTOCOL.md §3.2): the ASCII serialization of an HTTP(S)
 * origin (RFC 6454 §6.2) — lowercase scheme and host, the port only when it is
 * not the scheme's default, no path. WHATWG `URL` computes exactly that (IDN
 * hosts become punycode, IPv6 literals keep their brackets), in every runtime.
 */

/**
 * A Host / :authority in its plain spelling only: a DNS name (letters, digits,
 * hyphens, dots), a dotted-quad IPv4 address, or a bracketed IPv6 literal, and
 * an optional decimal port without leading zeros. No percent-encoding, no
 * empty port, no userinfo, path, query or fragment. WHATWG `URL` would rewrite
 * looser spellings (`a%2eb`, `127.1`, `0x7f.0.0.1`, `host:`, `:0443`) to another
 * host or port than a proxy routing on the raw string saw; those are refused.
 */
const AUTHORITY = /^(?<host>\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::[1-9][0-9]{0,4})?$/

/**
 * The normalized origin of an absolute `http:` or `https:` URL, or undefined
 * when `text` is not one (a path, userinfo, another scheme, unparsable).
 *
 * @example
 * normalizeOrigin('HTTPS://API.Example.com:443') // 'https://api.example.com'
 * normalizeOrigin('https://api.example.com/v1')  // undefined: an origin has no path
 */
export function normalizeOrigin(text: string): string | undefined {
  if (last !== undefined && last.text === text) return last.origin
  const origin = parseOrigin(text)
  last = { text, origin }
  return origin
}

/**
 * The last answer, by its input: a client seals to one origin again and again,
 * and a server hears one or a few. Parsing a URL costs more than a browser
 * client's whole seal of a small request besides its cryptography.
 */
let last: { text: string; origin: string | undefined } | undefined

function parseOrigin(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined
  // Only "scheme://authority" or "scheme://authority/": anything longer names a resource, not an origin.
  if (url.pathname !== '/' || /^[a-z]+:\/\/[^/]*\/./i.test(text.trim())) return undefined
  return url.origin
}

/**
 * The origin a server was reached at: the scheme it established (TLS, or a
 * trusted proxy's `X-Forwarded-Proto`) and the request's authority (`Host`, or
 * HTTP/2 `:authority`), normalized as the client normalizes it. Undefined when
 * the authority is missing or is not a plain host[:port].
 *
 * @example
 * originFromRequest('https', 'API.example.com:443') // 'https://api.example.com'
 */
export function originFromRequest(scheme: 'http' | 'https', authority: string | undefined): string | undefined {
  if (authority === undefined) return undefined
  const trimmed = authority.trim()
  const host = AUTHORITY.exec(trimmed)?.groups?.host
  if (host === undefined) return undefined
  const origin = normalizeOrigin(`${scheme}://${trimmed}`)
  if (origin === undefined) return undefined
  // A name the URL parser reads as a number (`127.1`, `2130706433`) becomes
  // another spelling of an address: only case may change, never the host.
  if (!host.startsWith('[') && new URL(origin).hostname !== host.toLowerCase()) return undefined
  return origin
}
