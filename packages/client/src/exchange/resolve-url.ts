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

/**
 * Where a request goes. A path is appended to `baseUrl` (so a base of
 * `https://api.example.com/v1` and `/users` give `/v1/users`); an absolute URL
 * must stay on the base's origin — the keys the client holds are that
 * server's, and an envelope sealed to them means nothing elsewhere.
 *
 * A relative input must not name a host: `new URL('//evil.example/x', base)`
 * is evil.example, and the caller's headers (an `Authorization`) and a fresh
 * envelope would follow it there. Such inputs are refused as misuse, and
 * every resolved URL is checked against the base origin whatever its input.
 */
export function resolveUrl(state: ClientState, input: string | URL): URL {
  let url: URL
  if (input instanceof URL || ABSOLUTE.test(input)) {
    url = new URL(input)
  } else {
    if (NETWORK_PATH.test(input.replace(/[\t\n\r]/g, ''))) {
      throw new TypeError('A request path must not start with // or /\\ (a network-path reference names another host): pass a path such as /api/x')
    }
    const basePath = state.base.pathname.replace(/\/+$/, '')
    url = new URL(`${basePath}${input.startsWith('/') || input.startsWith('?') || input === '' ? '' : '/'}${input}`, state.base.origin)
  }
  if (url.origin !== state.base.origin) throw otherOrigin(url, state)
  assertSecureTransport(url, state.allowInsecureTransport)
  url.hash = ''
  return url
}
