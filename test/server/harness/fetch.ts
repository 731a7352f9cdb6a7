import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { withSealwire } from '@sealwire/server/fetch'
import type { SealwireServer } from '@sealwire/server'
import { serveNode } from './listen.js'
import { SECRET, TYPED_ROUTES, type AdapterHarness } from './spec.js'

/** What a fetch-style platform hands a handler beside the Request (like Deno's `info`). */
interface ConnInfo {
  remoteAddress: string | undefined
}

/**
 * A minimal fetch runtime on Node, as Deno or Bun would be: the Request URL
 * carries the scheme the client used; the peer address comes as a second
 * argument, which the adapter's `peer` hook reads.
 */
export function fetchListener(handler: (request: Request, info: ConnInfo) => Promise<Response>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http'
    const headers = new Headers()
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
    const request = new Request(`${scheme}://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit)
    const response = await handler(request, { remoteAddress: req.socket.remoteAddress })
    const out: Record<string, string> = {}
    response.headers.forEach((value, name) => (out[name] = value))
    if (response.status === 413) out.connection = 'close'
    res.writeHead(response.status, out)
    res.end(Buffer.from(await response.arrayBuffer()))
  }
}

/** The harness app as plain `(Request) => Response` handlers, one `withSealwire` per route. */
export function fetchApp(server: SealwireServer) {
  const peer = (_request: Request, info: ConnInfo) => info.remoteAddress
  const echo = withSealwire(server, async (request: Request) => Response.json({ echo: await request.json(), claims: (request as { sealwire?: { claims: unknown } }).sealwire?.claims }), { peer, route: '/echo' })
  const items = withSealwire(server, (request) => Response.json({ claims: request.sealwire.claims }), { peer })
  const remove = withSealwire(server, () => new Response(null, { status: 204 }), { peer })
  const typed = new Map(
    Object.entries(TYPED_ROUTES).map(([path, schema]) => [
      path,
      withSealwire(server, (request) => Response.json({ ok: true, to: request.sealwire.body.to, amount: request.sealwire.body.amount }, { status: 201 }), { peer, schema }),
    ]),
  )
  const headers = withSealwire(server, (request) => Response.json({ headers: Object.fromEntries(request.headers) }), { peer })
  const boom = withSealwire(server, () => {
    throw new Error(SECRET)
  }, { peer })
  return (request: Request, info: ConnInfo): Promise<Response> => {
    const path = new URL(request.url).pathname
    const withSchema = typed.get(path)
    if (withSchema !== undefined) return withSchema(request, info)
    if (path === '/boom') return boom(request, info)
    if (path === '/headers') return headers(request, info)
    if (path.startsWith('/items/')) return remove(request, info)
    if (path === '/items') return items(request, info)
    return echo(request, info) // also the JWK Set: every wrapped handler serves it
  }
}

export const fetchHarness: AdapterHarness = {
  name: 'fetch',
  streaming: true,
  trustsProxies: true,
  start: (server) => serveNode(fetchListener(fetchApp(server))),
}
