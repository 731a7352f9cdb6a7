import { createSealwireServer, generateKeyPair, type KeyRing, type ReplayStore } from '@sealwire/server'
import { withSealwire } from '@sealwire/server/fetch'
import { EVENTS_QUERY_PROBLEM, eventStream, eventsQuery } from '../../sse-events.js'
import { Transfer } from './transfer.js'

export interface ServerlessExampleOptions {
  /** Private keys: a JWK Set or a `KeyRing`. Default: a fresh P-256 + X25519 pair, in memory. */
  keys?: { keys: unknown[] } | KeyRing
  /**
   * Where accepted `jti`s are remembered. Every serverless platform runs several instances: pass a shared
   * store (a Durable Object store from `@sealwire/cloudflare`, `@sealwire/redis`, `@sealwire/dynamodb`).
   */
  replayStore?: ReplayStore
  /** No shared store because exactly one process serves (`pnpm start`, a test): the memory store then sees every request. */
  singleInstance?: boolean
  /** Accept plain HTTP from a loopback peer (local development, `node:http`). Default false. */
  allowInsecureLoopback?: boolean
}

/** A web-standard handler; `peer` is the connection's address where the platform tells it. */
export type FetchHandler = (request: Request, peer?: string) => Promise<Response>

/** `SESSIONS=1` in the environment, where there is one (Node, Bun, Deno with env access; Workers have none). */
export function sessionsFromEnv(): boolean {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SESSIONS === '1'
}

export async function defaultKeys(): Promise<{ keys: unknown[] }> {
  return { keys: [(await generateKeyPair('P-256')).privateJwk, (await generateKeyPair('X25519')).privateJwk] }
}

/**
 * The example API as one `(Request) => Response` function, no framework:
 * one `withSealwire` per route (each with its own schema), chosen by method
 * and path. Runs wherever `Request` and `Response` do — Cloudflare Workers,
 * Deno, Bun, Next.js route handlers — and under Node through `serveFetch`.
 *
 * @example
 * // Cloudflare Workers (TLS is the platform's: the Request URL is https), jtis shared through a Durable Object
 * const handle = await createFetchHandler({ keys: JSON.parse(env.SEALWIRE_PRIVATE_JWKS), replayStore: new DurableObjectReplayStore({ namespace: env.SEALWIRE_REPLAY }) })
 * export default { fetch: (request) => handle(request) }
 */
export async function createFetchHandler(options: ServerlessExampleOptions = {}): Promise<FetchHandler> {
  const sealwire = createSealwireServer({
    // The tenant id clients seal beside Authorization (sealHeaders: ['x-tenant-id']).
    sealedRequestHeaders: ['x-tenant-id'],
    keys: options.keys ?? (await defaultKeys()),
    allowInsecureLoopback: options.allowInsecureLoopback ?? false,
    ...(options.replayStore === undefined ? {} : { replayStore: options.replayStore }),
    singleInstance: options.singleInstance ?? false,
    // SESSIONS=1: forward-secret sessions (docs/PROTOCOL.md §11). Read guardedly: Workers have no process.
    ...(sessionsFromEnv() ? { sessions: {} } : {}),
  })
  await sealwire.ready
  // Transport (check 1) is the Request URL's scheme; on plain HTTP, the loopback exception needs the peer.
  const peer = (_request: Request, address?: string) => address

  const routes: Record<string, FetchHandler> = {
    'POST /api/echo': withSealwire(sealwire, async (request) => Response.json(request.sealwire.body ?? null), { peer }),
    'GET /api/ping': withSealwire(sealwire, async () => Response.json({ pong: true }), { peer }),
    // Authorization and the query travelled sealed; the Request the handler gets has them back.
    'GET /api/me': withSealwire(
      sealwire,
      async (request) =>
        request.headers.get('authorization') === 'Bearer demo-token' ? Response.json({ user: 'demo' }) : Response.json({ error: 'unauthorized' }, { status: 401, headers: { 'www-authenticate': 'Bearer' } }),
      { peer },
    ),
    'GET /api/search': withSealwire(sealwire, async (request) => Response.json({ q: new URL(request.url).searchParams.get('q') }), { peer }),
    // Server-sent events: a Response whose body is still being produced streams, one sealed record per event.
    'GET /api/events': withSealwire(
      sealwire,
      (request) => {
        const params = new URL(request.url).searchParams
        const query = eventsQuery(params.get('n') ?? undefined, params.get('interval') ?? '0')
        if (query === undefined) return Response.json(EVENTS_QUERY_PROBLEM, { status: 400 })
        return new Response(eventStream(query), { headers: { 'content-type': 'text/event-stream' } })
      },
      { peer },
    ),
    'POST /api/transfer': withSealwire(
      sealwire,
      async (request) => {
        const { to, amount } = request.sealwire.body // validated by the schema, typed from it
        void [to, amount]
        return Response.json({ ok: true })
      },
      { peer, schema: Transfer },
    ),
  }
  // Everything else (the JWK Set included) goes through Sealwire too: a sealed 404.
  const notFound = withSealwire(sealwire, async () => new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }), { peer })

  return function exampleFetchHandler(request, address) {
    const route = routes[`${request.method} ${new URL(request.url).pathname}`] ?? notFound
    return route(request, address)
  }
}
