// A stand-in Sealwire server built directly on @sealwire/core and node:http,
// used until @sealwire/server's adapters land. It follows docs/PROTOCOL.md §5:
// pre-decryption failures in plain problem+json, everything after sealed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  ENVELOPE_HEADER,
  JOSE_MEDIA_TYPE,
  JWKS_PATH,
  MemoryReplayStore,
  PROBLEM_MEDIA_TYPE,
  SealwireError,
  openRequest,
  renderProblem,
  replyContextOf,
  sealResponse,
  type Clock,
  type KeyRing,
} from '@sealwire/core'
import { routes, type AppRequest } from './app.js'

export interface ServerLogEntry {
  method: string
  url: string
  contentType: string | undefined
  envelopeHeader: boolean
  bodyBytes: number
}

export interface Harness {
  url: string
  keyRing: KeyRing
  /** Every request the server received, JWK Set included. */
  log: ServerLogEntry[]
  jwksRequests(): number
  close(): Promise<void>
}

export interface HarnessOptions {
  keyRing: KeyRing
  clock?: Clock
  jwksMaxAgeSeconds?: number
  tls?: { key: string; cert: string }
  /** Unsealed static files (the browser test's page and bundle). */
  files?: Record<string, { type: string; body: string | Uint8Array }>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startServer(options: HarnessOptions): Promise<Harness> {
  const log: ServerLogEntry[] = []
  const replayStore = new MemoryReplayStore({ clock: options.clock })
  const { keyRing } = options

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req)
    const target = req.url ?? '/'
    log.push({ method: req.method!, url: target, contentType: req.headers['content-type'], envelopeHeader: ENVELOPE_HEADER.toLowerCase() in req.headers, bodyBytes: raw.length })
    const path = target.split('?', 1)[0]!
    const file = options.files?.[path]
    if (file !== undefined) {
      res.writeHead(200, { 'content-type': file.type }).end(file.body)
      return
    }
    if (path === JWKS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': `max-age=${options.jwksMaxAgeSeconds ?? 300}` }).end(JSON.stringify(keyRing.publicJwks()))
      return
    }
    const route = routes[`${req.method} ${path}`]
    try {
      const headerEnvelope = req.headers[ENVELOPE_HEADER.toLowerCase()]
      const envelope = typeof headerEnvelope === 'string' && raw === '' ? headerEnvelope : req.headers['content-type'] === JOSE_MEDIA_TYPE ? raw : undefined
      if (envelope === undefined) throw new SealwireError('unsupported_media_type')
      const opened = await openRequest(envelope, { keyRing, replayStore, request: { method: req.method!, target }, schema: route?.schema, clock: options.clock })
      const appReq: AppRequest = { method: req.method!, target, query: new URL(target, 'http://x').searchParams, body: opened.body, crv: opened.claims.crv }
      const answer = route === undefined ? { status: 404, type: PROBLEM_MEDIA_TYPE, body: '{"title":"Not Found","status":404}' } : await route.handle(appReq)
      // The envelope is a body: a bodiless status cannot carry it (as @sealwire/server does).
      const status = [204, 205, 304].includes(answer.status) ? 200 : answer.status
      const jwe = await sealResponse({ reply: opened.reply, status, contentType: answer.type, body: answer.body })
      res.writeHead(status, { 'content-type': JOSE_MEDIA_TYPE }).end(jwe)
    } catch (err) {
      const error = err instanceof SealwireError ? err : new SealwireError('internal_error', { cause: err })
      const reply = replyContextOf(error)
      if (reply === undefined) {
        res.writeHead(error.status, { 'content-type': PROBLEM_MEDIA_TYPE }).end(renderProblem(error))
        return
      }
      const jwe = await sealResponse({ reply, status: error.status, contentType: PROBLEM_MEDIA_TYPE, body: renderProblem(error) })
      res.writeHead(error.status, { 'content-type': JOSE_MEDIA_TYPE }).end(jwe)
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.writeHead(500).end())
  }
  const server = options.tls === undefined ? createServer(listener) : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    keyRing,
    log,
    jwksRequests: () => log.filter((e) => e.url === JWKS_PATH).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
