import type { ClientState } from '../client-state.js'
import { assertSecureTransport } from '../transport.js'

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i
/**
 * A network-path reference (RFC 3986 §4.2): `//host/x`, and its WHATWG
 * spellings with backslashes (`/\host`, `\\host`), which the URL parser
 * treats as `//` for http(s). Checked after dropping the tabs and newlines the
 * parser itself ignores, so `/\t/host` is caught too.
 */
const NETWORK_PATH = /^[/\\]{2}/

const otherOrigin = (url: URL, state: ClientState) =>
  new TypeError(`${url.origin} is not the client's origin ${state.base.origin}: create one client per server`)

/** Percent-encoded `.`, `/` or `\\`: never needed in a path segment Sealwire routes, and what traversals hide in. */
const ENCODED_SEPARATOR = /%(?:2e|2f|5c)/i
/** Decoding rounds looked through: `%25` nests one level each. */
const MAX_DECODES = 4

/**
 * Whether a path hides a dot segment (RFC 3986 §3.3) or a separator from the
 * URL parser, which resolves `..` and `%2e%2e` itself but leaves the rest to
 * whatever sits behind: a server or proxy that decodes `%2F` or `%5C` before
 * routing (`..%2Fadmin`), decodes twice (`%252e%252e`), drops a `;` parameter
 * from a segment (`..;`, Tomcat and Spring) or folds full-width characters
 * (NFKC: `．．` is `..`) turns each into a step up. Looked for in the path as
 * given and after each round of percent-decoding.
 */
function hidesTraversal(path: string): boolean {
  let text = path
  for (let round = 0; round < MAX_DECODES; round++) {
    if (ENCODED_SEPARATOR.test(text)) return true
    for (const segment of text.split(/[/\\]/)) {
      // `.` and `..`, with a `;` parameter or not, in ASCII or as a look-alike NFKC folds to dots.
      if (/^\.{1,2}(?:;.*)?$/.test(segment.normalize('NFKC'))) return true
    }
    let decoded: string
    try {
      decoded = decodeURIComponent(text)
    } catch {
      return true // malformed percent-encoding: no way to tell what a server makes of it
    }
    if (decoded === text) return false
    text = decoded
  }
  return true // still encoded after that many rounds: nothing honest nests so deep
}

/**
 * The base path a request must stay under: `baseUrl` `https://h/api/v1/` gives
 * `/api/v1`, so `/api/v1` and `/api/v1/...` are allowed and `/api/v1x` is not.
 */
function underBasePath(pathname: string, basePath: string): boolean {
  return pathname === basePath || pathname.startsWith(`${basePath}/`)
}

/**
 * Where a request goes. A path is appended to `baseUrl` (so a base of
 * `https://api.example.com/v1` and `/users` give `/v1/users`); an absolute-path
 * input such as `/admin` therefore means `/v1/admin`, never the origin's root.
 * An absolute URL must stay on the base's origin — the keys the client holds
 * are that server's, and an envelope sealed to them means nothing elsewhere.
 *
 * Every resolved URL must also stay under the base path: `../admin`,
 * `%2e%2e/admin` and `..%2Fadmin` would otherwise reach `/admin` with the
 * caller's headers and a fresh envelope, though the client was given only
 * `/v1`. Such inputs, and any path that hides a dot segment or a separator
 * (`hidesTraversal`), are refused as misuse (a `TypeError`).
 *
 * A relative input must not name a host: `new URL('//evil.example/x', base)`
 * is evil.example, and the caller's headers (an `Authorization`) and a fresh
 * envelope would follow it there. Such inputs are refused as misuse, and
 * every resolved URL is checked against the base origin whatever its input.
 */
export function resolveUrl(state: ClientState, input: string | URL): URL {
  const basePath = state.base.pathname.replace(/\/+$/, '')
  let url: URL
  if (input instanceof URL || ABSOLUTE.test(input)) {
    url = new URL(input)
  } else {
    if (NETWORK_PATH.test(input.replace(/[\t\n\r]/g, ''))) {
      throw new TypeError('A request path must not start with // or /\\ (a network-path reference names another host): pass a path such as /api/x')
    }
    url = new URL(`${basePath}${input.startsWith('/') || input.startsWith('?') || input === '' ? '' : '/'}${input}`, state.base.origin)
  }
  if (url.origin !== state.base.origin) throw otherOrigin(url, state)
  if (!underBasePath(url.pathname, basePath)) {
    throw new TypeError(`${url.pathname} is outside the client's base path ${basePath || '/'} (no ../ or encoded dot segments): pass a path under it, or create a client for that path`)
  }
  // On the parsed path: what the parser resolved itself (`..`, `%2e%2e`) is gone, and was checked above.
  if (hidesTraversal(url.pathname)) {
    // The path is not repeated: it is the caller's, and may carry an identifier.
    throw new TypeError(
      `A request path hides a dot segment or a separator (a percent-encoded . / or \\, a ..; segment, or full-width dots), which a server that decodes before routing resolves, possibly outside the client's base path ${basePath || '/'}: pass plain path segments, and put data in the query or body`,
    )
  }
  assertSecureTransport(url, state.allowInsecureTransport)
  url.hash = ''
  return url
}
