import { createSealwireServer, generateKeyPair, type KeyRing, type ReplayStore } from '@sealwire/server'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { PassThrough } from 'node:stream'
import { EVENTS_QUERY_PROBLEM, eventsQuery, produceEvents } from '../../sse-events.js'
import { Transfer } from './transfer.js'

export interface FastifyExampleOptions {
  /** Private keys: a JWK Set or a `KeyRing`. Default: a fresh P-256 + X25519 pair, in memory. */
  keys?: { keys: unknown[] } | KeyRing
  replayStore?: ReplayStore
  /** The TLS key and certificate Fastify serves with (Fastify's `https` option). */
  https: { key: string; cert: string }
}

/**
 * A Fastify app over HTTPS in which every route is sealed: the
 * `sealwireFastify` plugin, registered at the root, checks each request before
 * Fastify reads its body, parses `application/jose`, makes `request.body` the
 * decrypted body and seals every reply. `sealwireRoute` adds a zod schema to
 * one route (`request.body` typed from it).
 */
export async function createFastifyApp(options: FastifyExampleOptions): Promise<FastifyInstance> {
  const keys = options.keys ?? { keys: [(await generateKeyPair('P-256')).privateJwk, (await generateKeyPair('X25519')).privateJwk] }
  // The tenant id clients seal beside Authorization (sealHeaders: ['x-tenant-id']).
  const sealwire = createSealwireServer({
    keys,
    sealedRequestHeaders: ['x-tenant-id'],
    ...(options.replayStore === undefined ? {} : { replayStore: options.replayStore }),
    // SESSIONS=1: forward-secret sessions (docs/PROTOCOL.md §11), one key agreement per client session.
    ...(process.env.SESSIONS === '1' ? { sessions: {} } : {}),
  })
  await sealwire.ready

  const app = Fastify({ https: { ...options.https, minVersion: 'TLSv1.2' } })
  await app.register(sealwireFastify, { server: sealwire })
  // A JSON `null` body is a value too: send it as JSON text, not as an empty reply.
  app.post('/api/echo', async (request, reply) => reply.type('application/json').send(JSON.stringify(request.body ?? null)))
  app.get('/api/ping', async () => ({ pong: true }))
  // Authorization and the query travelled sealed; Sealwire restored them before validation and the handler.
  app.get('/api/me', async (request, reply) => {
    if (request.headers.authorization !== 'Bearer demo-token') return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' })
    return { user: 'demo' }
  })
  app.get('/api/search', async (request) => {
    const q = (request.query as Record<string, unknown>).q
    return { q: typeof q === 'string' ? q : null }
  })
  app.get('/api/events', (request, reply) => {
    const { n, interval } = request.query as Record<string, unknown>
    const query = eventsQuery(n, interval ?? '0')
    if (query === undefined) return reply.code(400).send(EVENTS_QUERY_PROBLEM)
    // A stream sent as the reply: each write is sealed as one record and flushed at once to a
    // client that reads sealed streams; any other gets the events in one envelope at the end.
    // (Not reply.raw: what is written there bypasses Fastify's hooks, and so the sealing.)
    const events = new PassThrough()
    events.on('close', produceEvents(query, (text) => events.write(text), () => events.end()))
    return reply.header('content-type', 'text/event-stream').send(events)
  })
  app.post(
    '/api/transfer',
    sealwireRoute(Transfer, async (request) => {
      // request.body is the validated { to, amount }.
      void request.body.amount
      return { ok: true }
    }),
  )
  return app
}
