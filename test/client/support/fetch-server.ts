// The client tests' server through @sealwire/server's fetch adapter
// (`withSealwire`, for (Request) => Response runtimes), bridged onto node:http
// on loopback the way Deno or Bun would call it.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { withSealwire, type SealwireRequest } from '@sealwire/server/fetch'
import { routes } from './app.js'
import type { Harness, HarnessOptions, ServerLogEntry } from './harness.js'
import { listen, logEntry, sealwireServer } from './listen.js'

type Handler = (request: Request, peer: string | undefined) => Promise<Response>

/** @sealwire/server's fetch adapter: one `withSealwire` per route, dispatched by method and path. */
export async function startFetchServer(options: HarnessOptions): Promise<Harness> {
  const log: ServerLogEntry[] = []
  const sealwire = await sealwireServer(options)
  const peer = (_request: Request, address: string | undefined) => address

  const handlers = new Map<string, Handler>()
  for (const [key, route] of Object.entries(routes)) {
    const app = async (request: SealwireRequest, _peer: string | undefined) => {
      const url = new URL(request.url)
      const answer = await route.handle({ method: request.method, target: url.pathname + url.search, query: url.searchParams, body: request.sealwire.body, crv: request.sealwire.claims.crv })
      return new Response([204, 205, 304].includes(answer.status) ? null : answer.body, { status: answer.status, headers: { 'content-type': answer.type } })
    }
    handlers.set(key, withSealwire(sealwire, app, { peer, ...(route.schema === undefined ? {} : { schema: route.schema }) }))
  }
  const notFound = withSealwire(sealwire, (_request: Request, _peer: string | undefined) => new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain' } }), { peer })

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const target = req.url ?? '/'
    log.push(logEntry(req, body.length))
    const path = target.split('?', 1)[0]!
    const file = options.files?.[path]
    if (file !== undefined) {
      res.writeHead(200, { 'content-type': file.type }).end(file.body)
      return
    }
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    const base = `${options.tls === undefined ? 'http' : 'https'}://${req.headers.host}`
    const request = new Request(new URL(target, base), { method: req.method, headers, body: body.length === 0 ? null : body })
    const handler = handlers.get(`${req.method} ${path}`) ?? notFound
    const response = await handler(request, req.socket.remoteAddress)
    const out: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      out[name] = value
    })
    res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()))
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.writeHead(500).end())
  }
  return listen(listener, options, log)
}
