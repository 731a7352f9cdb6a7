import type { IncomingRequest } from './types.js'

/**
 * Every authority of a request that an application or its framework may take
 * as "the host it was sent to": the authority the engine binds (HTTP/2
 * `:authority`, else `Host`), the `Host` header beside an HTTP/2
 * `:authority`, each comma-separated `X-Forwarded-Host` value, and each
 * `host=` parameter of `Forwarded` (RFC 7239 §5.3), each trimmed of
 * surrounding whitespace; a header that is missing adds nothing.
 *
 * Why all of them: with `origins`, an envelope is bound to one origin (`hto`),
 * but Express (`trust proxy`), Koa (`app.proxy`) and Fastify (`trustProxy`)
 * report `X-Forwarded-Host` as the host, and Fastify reads `Host` before
 * `:authority`. An intermediary that keeps the bound `Host` and adds another
 * `X-Forwarded-Host` would otherwise have an app that picks its tenant by host
 * run one tenant's envelope as another's.
 *
 * @example
 * requestAuthorities(incoming) // ['a.example', 'a.example', 'b.example'] for Host a.example, X-Forwarded-Host b.example
 */
export function requestAuthorities(incoming: IncomingRequest): string[] {
  const found: string[] = []
  const bound = incoming.authority ?? incoming.header('host')
  if (bound !== undefined) found.push(bound)
  const host = incoming.header('host')
  if (host !== undefined) found.push(host)
  const forwardedHost = incoming.header('x-forwarded-host')
  if (forwardedHost !== undefined) found.push(...forwardedHost.split(','))
  const forwarded = incoming.header('forwarded')
  if (forwarded !== undefined) found.push(...forwardedHosts(forwarded))
  return found.map((value) => value.trim())
}

/**
 * The `host=` parameters of a `Forwarded` header (RFC 7239 §4): elements
 * separated by `,`, pairs by `;`, each `token=value` with the value a token or
 * a quoted-string (RFC 9110 §5.6.4) that may itself hold `,`, `;` or `=`.
 * A value left unterminated is returned as is (quote included): it then names
 * no plain host and fails the comparison, which is the safe way to fail.
 */
export function forwardedHosts(header: string): string[] {
  const hosts: string[] = []
  let pair = ''
  let quoted = false
  const endPair = (): void => {
    const eq = pair.indexOf('=')
    if (eq !== -1 && pair.slice(0, eq).trim().toLowerCase() === 'host') hosts.push(unquote(pair.slice(eq + 1).trim()))
    pair = ''
  }
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!
    if (quoted) {
      pair += c
      if (c === '\\' && i + 1 < header.length) pair += header[++i]!
      else if (c === '"') quoted = false
    } else if (c === ',' || c === ';') {
      endPair()
    } else {
      if (c === '"') quoted = true
      pair += c
    }
  }
  endPair()
  return hosts
}

/** A quoted-string's content (RFC 9110 §5.6.4: `\x` stands for `x`); anything else unchanged. */
function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value
  return value.slice(1, -1).replace(/\\(.)/g, '$1')
}
