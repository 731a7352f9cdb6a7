import { createSealwireServer, type KeyRing, type ReplayStore } from '@sealwire/server'
import { sealwireLambda, type LambdaHttpEvent, type LambdaHttpResult } from '@sealwire/server/lambda'
import { defaultKeys, sessionsFromEnv } from './fetch-handler.js'
import { EVENTS_QUERY_PROBLEM, eventStream, eventsQuery } from '../../sse-events.js'
import { Transfer } from './transfer.js'

export interface LambdaExampleOptions {
  /** Private keys: a JWK Set or a `KeyRing`. Default: a fresh pair (for local invocation only: Lambda instances would each make their own). */
  keys?: { keys: unknown[] } | KeyRing
  /** Lambda runs many instances: share accepted `jti`s across them (`@sealwire/dynamodb`, `@sealwire/redis`). */
  replayStore?: ReplayStore
  /** No shared store because one handler is invoked in one process (`pnpm invoke`, a test). */
  singleInstance?: boolean
}

export type LambdaHandler = (event: LambdaHttpEvent, context?: unknown) => Promise<LambdaHttpResult>

const json = (statusCode: number, value: unknown): LambdaHttpResult => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) })

/**
 * The example API as an AWS Lambda handler behind an API Gateway HTTP API
 * (payload format 2.0, one `$default` route) or a Function URL: one
 * `sealwireLambda` per route, chosen by method and `rawPath`. API Gateway
 * terminates TLS and says so in `x-forwarded-proto`, which the adapter reads.
 */
export async function createLambdaHandler(options: LambdaExampleOptions = {}): Promise<LambdaHandler> {
  const sealwire = createSealwireServer({
    // The tenant id clients seal beside Authorization (sealHeaders: ['x-tenant-id']).
    sealedRequestHeaders: ['x-tenant-id'],
    keys: options.keys ?? (await defaultKeys()),
    ...(options.replayStore === undefined ? {} : { replayStore: options.replayStore }),
    singleInstance: options.singleInstance ?? false,
    // SESSIONS=1: forward-secret sessions (docs/PROTOCOL.md §11). A warm Lambda keeps them between invocations;
    // several concurrent instances would each know only their own (a shared RedisSessionStore fixes that).
    ...(sessionsFromEnv() ? { sessions: {} } : {}),
  })
  await sealwire.ready

  const routes: Record<string, LambdaHandler> = {
    'POST /api/echo': sealwireLambda(sealwire, (event) => json(200, event.sealwire.body ?? null)),
    'GET /api/ping': sealwireLambda(sealwire, () => json(200, { pong: true })),
    // Authorization and the query travelled sealed; the event the handler gets has them back.
    'GET /api/me': sealwireLambda(sealwire, (event) =>
      event.headers.authorization === 'Bearer demo-token' ? json(200, { user: 'demo' }) : { ...json(401, { error: 'unauthorized' }), headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } },
    ),
    'GET /api/search': sealwireLambda(sealwire, (event) => json(200, { q: event.queryStringParameters?.q ?? null })),
    // API Gateway buffers a Lambda's answer: the events arrive together, in one envelope, once all were produced.
    'GET /api/events': sealwireLambda(sealwire, async (event) => {
      const query = eventsQuery(event.queryStringParameters?.n, event.queryStringParameters?.interval ?? '0')
      if (query === undefined) return json(400, EVENTS_QUERY_PROBLEM)
      const body = await new Response(eventStream(query)).text()
      return { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body }
    }),
    'POST /api/transfer': sealwireLambda(sealwire, () => json(200, { ok: true }), { schema: Transfer }),
  }
  // The JWK Set and unknown routes: a sealed 404 (the JWK Set is answered by the adapter first).
  const notFound = sealwireLambda(sealwire, () => ({ statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not Found' }))

  return function exampleLambdaHandler(event, context) {
    const route = routes[`${event.requestContext?.http?.method?.toUpperCase()} ${event.rawPath}`] ?? notFound
    return route(event, context)
  }
}
