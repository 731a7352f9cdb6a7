import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { FetchHandler } from './fetch-handler.js'

export interface ServedFetch {
  url: string
  close(): Promise<void>
}

function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue
    headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  const bodyless = req.method === 'GET' || req.method === 'HEAD'
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method,
    headers,
    // Streamed, not buffered: Sealwire enforces its size cap while the body arrives.
    ...(bodyless ? {} : { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }),
  } as RequestInit)
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  res.writeHead(response.status, headers)
  if (response.body === null) {
    res.end()
    return
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk)
  res.end()
}

/**
 * Serves a `(Request) => Response` handler with `node:http`, on 127.0.0.1:
 * what Deno, Bun or a Worker runtime do natively. The peer address goes to
 * the handler (Sealwire's loopback exception for plain HTTP needs it).
 */
export async function serveFetch(handler: FetchHandler, options: { port?: number } = {}): Promise<ServedFetch> {
  const server = createServer((req, res) => {
    let request: Request
    try {
      request = toRequest(req, `http://${req.headers.host ?? '127.0.0.1'}`)
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request')
      return
    }
    handler(request, req.socket.remoteAddress)
      .then((response) => writeResponse(res, response))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end()
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 8787, '127.0.0.1', () => resolve())
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
