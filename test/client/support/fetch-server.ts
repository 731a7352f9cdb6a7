// The client tests' server through @sealwire/server's fetch adapter
// (`withSealwire`, for (Request) => Response runtimes), bridged onto node:http
// on loopback the way Deno or Bun would call it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { ENVELOPE_HEADER, JWKS_PATH } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { withSealwire, type SealwireRequest } from '@sealwire/server/fetch'
import { routes } from './app.js'
import type { Harness, HarnessOptions, ServerLogEntry } from './harness.js'

type Handler = (request: Request, peer: string | undefined) => Promise<Response>

/** @sealwire/server's fetch adapter: one `withSealwire` per route, dispatched by method and path. */
export async function startFetchServer(options: HarnessOptions): Promise<Harness> {
  const log: ServerLogEntry[] = []
  const sealwire = createSealwireServer({
    keys: options.keyRing,
    allowInsecureLoopback: true,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.jwksMaxAgeSeconds === undefined ? {} : { jwksMaxAgeSeconds: options.jwksMaxAgeSeconds }),
  })
  await sealwire.ready
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
    log.push({ method: req.method!, url: target, contentType: req.headers['content-type'], envelopeHeader: ENVELOPE_HEADER.toLowerCase() in req.headers, bodyBytes: body.length })
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
  const server: Server = options.tls === undefined ? createServer(listener) : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    keyRing: options.keyRing,
    log,
    jwksRequests: () => log.filter((e) => e.url === JWKS_PATH).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
