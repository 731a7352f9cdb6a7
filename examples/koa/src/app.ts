import { createSealwireServer, generateKeyPair, type KeyRing, type ReplayStore } from '@sealwire/server'
import { sealwireKoa } from '@sealwire/server/koa'
import Koa from 'koa'
import { PassThrough } from 'node:stream'
import { EVENTS_QUERY_PROBLEM, eventsQuery, produceEvents } from '../../sse-events.js'
import { Transfer } from './transfer.js'

export interface KoaExampleOptions {
  /** Private keys: a JWK Set or a `KeyRing`. Default: a fresh P-256 + X25519 pair, in memory. */
  keys?: { keys: unknown[] } | KeyRing
  replayStore?: ReplayStore
}

/**
 * A Koa app where every request is sealed: `sealwireKoa()` comes first (before
 * any body parser: it reads the envelope itself), serves the JWK Set, puts the
 * decrypted body in `ctx.request.body`, and seals whatever the routes set as
 * `ctx.body`. `POST /api/transfer` adds its zod schema with a second,
 * per-route `sealwireKoa({ schema })`.
 *
 * This example serves plain HTTP on loopback for local development
 * (`allowInsecureLoopback`): a request from any other address is refused
 * `insecure_transport`. In production, terminate TLS in front of it and list
 * that proxy in `trustedProxies`, or serve HTTPS (see examples/fastify).
 */
export async function createKoaApp(options: KoaExampleOptions = {}): Promise<Koa> {
  const keys = options.keys ?? { keys: [(await generateKeyPair('P-256')).privateJwk, (await generateKeyPair('X25519')).privateJwk] }
  const sealwire = createSealwireServer({
    // The tenant id clients seal beside Authorization (sealHeaders: ['x-tenant-id']).
    sealedRequestHeaders: ['x-tenant-id'],
    keys,
    allowInsecureLoopback: true,
    ...(options.replayStore === undefined ? {} : { replayStore: options.replayStore }),
    // SESSIONS=1: forward-secret sessions (docs/PROTOCOL.md §11), one key agreement per client session.
    ...(process.env.SESSIONS === '1' ? { sessions: {} } : {}),
  })
  await sealwire.ready

  const transfer = sealwireKoa(sealwire, { schema: Transfer })
  const app = new Koa()
  app.use(sealwireKoa(sealwire))
  app.use(async (ctx) => {
    const body = (ctx.request as { body?: unknown }).body
    switch (`${ctx.method} ${ctx.path}`) {
      case 'POST /api/echo':
        // JSON text, so that a JSON `null` is echoed too (Koa turns `ctx.body = null` into a 204).
        ctx.type = 'application/json'
        ctx.body = JSON.stringify(body ?? null)
        return
      case 'GET /api/ping':
        ctx.body = { pong: true }
        return
      case 'GET /api/me':
        // Authorization travelled sealed; Sealwire restored it before this middleware.
        if (ctx.get('authorization') !== 'Bearer demo-token') {
          ctx.status = 401
          ctx.set('www-authenticate', 'Bearer')
          ctx.body = { error: 'unauthorized' }
          return
        }
        ctx.body = { user: 'demo' }
        return
      case 'GET /api/search': {
        // The query travelled sealed too: ctx.query is rebuilt from it.
        const q = ctx.query.q
        ctx.body = { q: typeof q === 'string' ? q : null }
        return
      }
      case 'GET /api/events': {
        const query = eventsQuery(ctx.query.n, ctx.query.interval ?? '0')
        if (query === undefined) {
          ctx.status = 400
          ctx.body = EVENTS_QUERY_PROBLEM
          return
        }
        // A stream body: each write is sealed as one record and flushed at once to a client
        // that reads sealed streams; any other gets the events in one envelope at the end.
        const events = new PassThrough()
        events.on('close', produceEvents(query, (text) => events.write(text), () => events.end()))
        ctx.type = 'text/event-stream'
        ctx.body = events
        return
      }
      case 'POST /api/transfer':
        // Runs the schema; on a violation it answers 422 itself and never calls us.
        return transfer(ctx as Parameters<typeof transfer>[0], async () => {
          ctx.body = { ok: true }
        })
      // Anything else: Koa's 404, sealed like every answer.
    }
  })
  return app
}
