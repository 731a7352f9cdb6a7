import type { ClientState } from '../client-state.js'
import { assertSecureTransport } from '../transport.js'

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i

/**
 * Where a request goes. A path is appended to `baseUrl` (so a base of
 * `https://api.example.com/v1` and `/users` give `/v1/users`); an absolute URL
 * must stay on the base's origin — the keys the client holds are that
 * server's, and an envelope sealed to them means nothing elsewhere.
 */
export function resolveUrl(state: ClientState, input: string | URL): URL {
  let url: URL
  if (input instanceof URL || ABSOLUTE.test(input)) {
    url = new URL(input)
    if (url.origin !== state.base.origin) throw new TypeError(`${url.origin} is not the client's origin ${state.base.origin}: create one client per server`)
  } else {
    const basePath = state.base.pathname.replace(/\/+$/, '')
    url = new URL(`${basePath}${input.startsWith('/') || input.startsWith('?') || input === '' ? '' : '/'}${input}`, state.base.origin)
  }
  assertSecureTransport(url, state.allowInsecureTransport)
  url.hash = ''
  return url
}
