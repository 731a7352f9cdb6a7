// A real HTTP proxy on loopback that sits between the client and the server
// and misbehaves on demand: the man in the middle of the response tests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Captured {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/** What the proxy does to the next answers: pass them, or replace them (given the real one). */
export type Tamper = (real: Captured, req: IncomingMessage) => Captured

export interface Proxy {
  url: string
  /** Answers seen so far, in order (the real ones, before tampering). */
  captured: Captured[]
  /** Applied to answers under /api/ only. */
  tamper: Tamper | undefined
  close(): Promise<void>
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host'])

export async function startProxy(upstream: string): Promise<Proxy> {
  const proxy: Proxy = { url: '', captured: [], tamper: undefined, close: async () => undefined }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers.set(name, value)
    const body = chunks.length === 0 ? undefined : Buffer.concat(chunks)
    const upstreamRes = await fetch(new URL(req.url!, upstream), { method: req.method, headers, body, redirect: 'manual' })
    const real: Captured = { status: upstreamRes.status, headers: {}, body: Buffer.from(await upstreamRes.arrayBuffer()) }
    upstreamRes.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') real.headers[name] = value
    })
    proxy.captured.push(real)
    // Only the application's answers are tampered with; the JWK Set passes (its own tests cover it).
    const out = proxy.tamper === undefined || !req.url!.startsWith('/api/') ? real : proxy.tamper(real, req)
    res.writeHead(out.status, out.headers).end(out.body)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(599).end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections()
      server.close((err) => (err ? reject(err) : resolve()))
    })
  return proxy
}
