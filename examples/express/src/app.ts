import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSealwireServer, type KeyRing, type ReplayStore, type SealwireEvent } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express, { type Express, type Response } from 'express'
import { DEMO_AUTHORIZATION } from './demo-token.js'
import { EVENTS_QUERY_PROBLEM, eventsQuery, produceEvents } from '../../sse-events.js'
import { generateKeySet, type PrivateJwkSet } from './keys.js'
import { Transfer } from './transfer.js'

/** Options of `createExampleApp`. */
export interface ExampleAppOptions {
  /** Private keys (a JWK Set, or a core `KeyRing`). Default: a fresh P-256 + X25519 pair, in memory only. */
  keys?: PrivateJwkSet | KeyRing
  /** Where accepted `jti`s are remembered. Default: one `MemoryReplayStore` (one process). */
  replayStore?: ReplayStore
  /** Refuse plain HTTP (`insecure_transport`). Default true: this app is served over TLS. */
  requireTls?: boolean
  /** Receives one security event per sealed request (no plaintext, no keys). */
  onEvent?: (event: SealwireEvent) => void
  /** The directory of the browser page (`examples/browser`). Default: resolved from `@sealwire/example-browser`. */
  pageDir?: string
  /** The client's browser bundle. Default: this package's build of it (`dist/public/`), else `@sealwire/client/browser/sealwire-client.min.js`. */
  clientBundle?: string
}

const require = createRequire(import.meta.url)

function defaultPageDir(): string {
  return dirname(require.resolve('@sealwire/example-browser/package.json'))
}

/** This package's build of the client bundle (dist/public), else the client package's own (dist/browser). */
function defaultClientBundle(): string | undefined {
  const own = fileURLToPath(new URL('../dist/public/sealwire-client.min.js', import.meta.url))
  if (existsSync(own)) return own
  try {
    return require.resolve('@sealwire/client/browser/sealwire-client.min.js')
  } catch {
    return undefined // not built yet: the page says how to build it
  }
}

// The page loads only its own files and talks only to this origin.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}
const PAGE_FILES: Record<string, string> = { '/': 'index.html', '/app.js': 'app.js', '/styles.css': 'styles.css' }

const setPageHeaders = (res: Response) => res.set(PAGE_HEADERS)

/**
 * The reference Sealwire app: three sealed API routes, the JWK Set, and the
 * browser example page at `/`.
 *
 * - `GET /.well-known/sealwire/jwks.json` — the public keys (P-256 and X25519)
 * - `POST /api/echo` — answers the decrypted JSON body it received
 * - `GET /api/ping` — answers `{"pong": true}`
 * - `POST /api/transfer` — `{ to, amount }` checked by zod, answers `{"ok": true}`
 * - `GET /api/me` — with `Authorization: Bearer demo-token` answers `{"user": "demo"}`, otherwise 401
 * - `GET /api/search?q=…` — answers `{"q": <the q the handler received>}`
 * - `GET /api/events?n=N&interval=MS` — a sealed `text/event-stream` of N events `data: {"i":k}`, one every MS ms
 *
 * The client seals `Authorization` and the query inside the envelope: the
 * handlers read them as if sent in clear, and no hop on the way sees them.
 *
 * Everything under `/api` must be sealed: Sealwire is mounted there before
 * any body parser (it reads the raw envelope itself), so a plain JSON request
 * is refused `415 unsupported_media_type` and never reaches a handler.
 *
 * @example
 * import { createServer } from 'node:https'
 * const app = await createExampleApp({ keys: JSON.parse(process.env.SEALWIRE_PRIVATE_JWKS!) })
 * createServer({ key, cert, minVersion: 'TLSv1.2' }, app).listen(8443, '127.0.0.1')
 */
export async function createExampleApp(options: ExampleAppOptions = {}): Promise<Express> {
  const sealwire = createSealwireServer({
    // The tenant id clients seal beside Authorization (sealHeaders: ['x-tenant-id']).
    sealedRequestHeaders: ['x-tenant-id'],
    keys: options.keys ?? (await generateKeySet()),
    ...(options.replayStore === undefined ? {} : { replayStore: options.replayStore }),
    ...(options.requireTls === undefined ? {} : { requireTls: options.requireTls }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    // SESSIONS=1: forward-secret sessions (docs/PROTOCOL.md §11), one key agreement per client session.
    ...(process.env.SESSIONS === '1' ? { sessions: {} } : {}),
  })
  await sealwire.ready // a bad key fails here, at start, not on the first request

  const app = express()
  app.disable('x-powered-by')

  // The public keys: what clients discover before their first request.
  app.get(sealwire.jwksPath, sealwireExpress(sealwire))

  // The API: every request sealed, every answer sealed to its requester.
  const api = express.Router()
  api.use(sealwireExpress(sealwire))
  api.post('/echo', (req, res) => {
    res.json(req.body)
  })
  api.get('/ping', (_req, res) => {
    res.json({ pong: true })
  })
  api.get('/me', (req, res) => {
    // Authorization travelled sealed; Sealwire restored it before this handler.
    if (req.headers.authorization !== DEMO_AUTHORIZATION) {
      res.status(401).set('www-authenticate', 'Bearer').json({ error: 'unauthorized' })
      return
    }
    res.json({ user: 'demo' })
  })
  api.get('/search', (req, res) => {
    // The query travelled sealed too: req.query is rebuilt from it.
    const q = req.query.q
    res.json({ q: typeof q === 'string' ? q : null })
  })
  api.get('/events', (req, res) => {
    const query = eventsQuery(req.query.n, req.query.interval ?? '0')
    if (query === undefined) {
      res.status(400).json(EVENTS_QUERY_PROBLEM)
      return
    }
    // Server-sent events: each res.write is sealed as one record and flushed at once to a
    // client that reads sealed streams (the client's events()); any other gets them in one envelope.
    res.setHeader('content-type', 'text/event-stream')
    const stop = produceEvents(query, (text) => res.write(text), () => res.end())
    res.on('close', stop)
  })
  api.post('/transfer', sealwireExpress(sealwire, { schema: Transfer }), (req, res) => {
    // req.body is the validated { to, amount }: a real app would move the money here.
    res.json({ ok: true })
  })
  app.use('/api', api)

  // The browser page and the client bundle it imports: static, unsealed.
  const pageDir = options.pageDir ?? defaultPageDir()
  const bundle = options.clientBundle ?? defaultClientBundle()
  app.get('/sealwire-client.min.js', (_req, res) => {
    setPageHeaders(res)
    if (bundle === undefined || !existsSync(bundle)) {
      res.status(503).type('text/plain').send('The client bundle is not built yet: run `npx -y pnpm@10 build` at the repository root.\n')
      return
    }
    res.sendFile(bundle)
  })
  app.get('/sealwire-client.min.js.map', (_req, res, next) => {
    if (bundle === undefined || !existsSync(`${bundle}.map`)) return next()
    res.sendFile(`${bundle}.map`)
  })
  // The page's own files, by name: nothing else in its directory is served.
  for (const [path, file] of Object.entries(PAGE_FILES)) {
    app.get(path, (_req, res) => {
      setPageHeaders(res)
      res.sendFile(join(pageDir, file))
    })
  }
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end()
  })
  return app
}
