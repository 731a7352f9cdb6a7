// A Sealwire server for the session tests: the fetch-first engine on node:http,
// a wire log of every envelope's protected header, and a backend that counts
// the key agreements it runs.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ENVELOPE_HEADER, KeyRing, defaultBackend, type Clock, type CryptoBackend, type PrivateJwk, type ReplayStore, type SessionStore } from '@sealwire/core'
import { createSealwireServer, type SealwireServer, type SealwireServerOptions } from '@sealwire/server'

/** The backend of this runtime, decorated: every ECDH it computes (a v1 open, a session's agreement) is counted. */
export function countingBackend(): CryptoBackend & { agreements: number } {
  const inner = defaultBackend
  const counting: CryptoBackend & { agreements: number } = {
    ...inner,
    name: `counting(${inner.name})`,
    agreements: 0,
    openWithPrivateKey(compact, key, header) {
      counting.agreements += 1
      return inner.openWithPrivateKey(compact, key, header)
    },
    agree(privateKey, peer) {
      counting.agreements += 1
      return inner.agree!(privateKey, peer)
    },
  }
  return counting
}

export interface WireEntry {
  header: Record<string, unknown>
}

export interface SessionServer {
  url: string
  server: SealwireServer
  keyRing: KeyRing
  backend: CryptoBackend & { agreements: number }
  /** The protected header of every envelope received, in order. */
  wire: WireEntry[]
  /** Handler runs per jti. */
  runs: Map<string, number>
  close(): Promise<void>
}

export interface SessionServerOptions {
  keys: PrivateJwk[]
  sessions?: SealwireServerOptions['sessions']
  sessionStore?: SessionStore
  replayStore?: ReplayStore
  clock?: Clock
}

export async function startSessionServer(options: SessionServerOptions): Promise<SessionServer> {
  const backend = countingBackend()
  const keyRing = await KeyRing.from(options.keys, { backend })
  const server = createSealwireServer({
    keys: keyRing,
    allowInsecureLoopback: true,
    ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
    ...(options.replayStore === undefined ? {} : { replayStore: options.replayStore }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
  await server.ready
  const wire: WireEntry[] = []
  const runs = new Map<string, number>()

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value)
    const envelope = headers.get(ENVELOPE_HEADER) ?? body.toString('utf8')
    if (envelope.includes('.')) wire.push({ header: JSON.parse(Buffer.from(envelope.split('.')[0]!, 'base64url').toString('utf8')) })
    const request = new Request(new URL(req.url!, `http://${req.headers.host}`), { method: req.method, headers, body: body.length === 0 ? null : body })
    const response = server.isJwksRequest(req.method!, req.url!)
      ? await server.jwks(req.url!).then((r) => new Response(r.body, { status: r.status, headers: r.headers }))
      : await server.handle(request, (exchange) => {
          runs.set(exchange.claims.jti, (runs.get(exchange.claims.jti) ?? 0) + 1)
          return Response.json({ body: exchange.body, sid: exchange.claims.sid ?? null, kid: exchange.claims.kid })
        }, { peer: req.socket.remoteAddress })
    const out: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      out[name] = value
    })
    res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()))
  }

  const http = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end())
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    keyRing,
    backend,
    wire,
    runs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.closeAllConnections()
        http.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
