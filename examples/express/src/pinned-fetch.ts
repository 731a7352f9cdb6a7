import { Agent, request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import type { TLSSocket } from 'node:tls'

/** Statuses whose Response cannot have a body (Fetch standard). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** A `fetch` that trusts one certificate, plus what it learnt of the last TLS connection. */
export interface PinnedFetch {
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>
  /** TLS version of the last connection, e.g. `TLSv1.3`. */
  readonly lastProtocol: string | undefined
}

/**
 * A `fetch` over `node:https` that trusts exactly one certificate: `ca` is the
 * server's self-signed certificate, and replaces the system's CAs, so this
 * fetch talks to that server and nothing else — a pin. The safe way to reach a
 * self-signed development server; never `NODE_TLS_REJECT_UNAUTHORIZED=0`,
 * which would trust anyone on the path.
 *
 * Hand it to the client: `createClient({ baseUrl, fetch: pinnedFetch(cert) })`.
 * Enough `fetch` for that: method, headers, a buffered body, manual redirects.
 */
export function pinnedFetch(ca: string): PinnedFetch {
  // No keep-alive: a demo process must be able to exit without closing anything.
  const agent = new Agent({ ca, keepAlive: false })
  let lastProtocol: string | undefined

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init)
    const url = new URL(req.url)
    if (url.protocol !== 'https:') throw new TypeError(`pinnedFetch: https only, got ${url.protocol}`)
    const body = req.body === null ? undefined : Buffer.from(await req.arrayBuffer())
    const headers: Record<string, string> = {}
    req.headers.forEach((value, name) => {
      headers[name] = value
    })
    if (body !== undefined) headers['content-length'] = String(body.length)

    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpsRequest(url, { method: req.method, headers, agent, signal: req.signal }, (res) => {
        lastProtocol = (res.socket as TLSSocket).getProtocol?.() ?? undefined
        const out = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue
          for (const v of Array.isArray(value) ? value : [value]) out.append(name, v)
        }
        const status = res.statusCode ?? 502
        // The body as it arrives, as fetch gives it: a sealed stream's records reach the client one by one.
        const stream = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>)
        if (stream === null) res.resume()
        resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: out }))
      })
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  }
  return Object.defineProperty(fetch, 'lastProtocol', { get: () => lastProtocol }) as PinnedFetch
}
