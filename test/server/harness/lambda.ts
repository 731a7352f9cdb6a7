import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { SealwireServer } from '@sealwire/server'
import { sealwireLambda, type LambdaHttpEvent, type LambdaHttpResult } from '@sealwire/server/lambda'
import { serveNode } from './listen.js'
import { SECRET, TYPED_ROUTES, type AdapterHarness } from './spec.js'

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as LambdaHttpEvent

/** Recorded-shape sample events (AWS documentation shapes), the templates the bridge fills. */
export const httpApiEvent = (): LambdaHttpEvent => fixture('lambda-http-api-v2.json')
export const functionUrlEvent = (): LambdaHttpEvent => fixture('lambda-function-url.json')

const TEXT_TYPES = /^(text\/|application\/(json|problem\+json|x-www-form-urlencoded))/

/**
 * What API Gateway and Function URLs do in front of a function, in miniature:
 * read the whole request, build a payload-2.0 event from a recorded template
 * (headers lowercased, `x-forwarded-proto` set to the scheme actually used,
 * non-text bodies base64-encoded), invoke, and turn the result into HTTP.
 */
export function lambdaListener(handler: (event: LambdaHttpEvent, context: unknown) => Promise<LambdaHttpResult>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    const url = new URL(req.url ?? '/', 'http://bridge')
    const event = httpApiEvent()
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value
    headers['x-forwarded-proto'] = (req.socket as TLSSocket).encrypted ? 'https' : 'http' // the front door overwrites it
    delete headers['transfer-encoding'] // the front door buffers the body; the event has no framing
    const method = req.method ?? 'GET'
    const text = TEXT_TYPES.test(headers['content-type'] ?? '')
    const lambdaEvent: LambdaHttpEvent = {
      ...event,
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: req.url?.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '',
      headers,
      requestContext: { ...event.requestContext, routeKey: '$default', http: { ...event.requestContext.http, method, path: url.pathname, sourceIp: req.socket.remoteAddress ?? '' } },
      ...(raw.length > 0 ? { body: text ? raw.toString('utf8') : raw.toString('base64'), isBase64Encoded: !text } : { body: undefined, isBase64Encoded: false }),
    }
    const result = await handler(lambdaEvent, {})
    const out: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(result.headers ?? {})) out[name] = String(value)
    if (result.cookies) out['set-cookie'] = result.cookies
    res.writeHead(result.statusCode, out)
    res.end(result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body)
  }
}

/** The harness app as one Lambda function routing on rawPath, with one wrapped handler per route. */
export function lambdaApp(server: SealwireServer) {
  const json = (statusCode: number, value: unknown): LambdaHttpResult => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) })
  const echo = sealwireLambda(server, async (event) => json(200, { echo: JSON.parse(event.body ?? 'null'), claims: event.sealwire.claims }))
  const items = sealwireLambda(server, async (event) => ({ claims: event.sealwire.claims })) // a bare value: 200 JSON
  const remove = sealwireLambda(server, async () => ({ statusCode: 204 }))
  const typed = new Map(
    Object.entries(TYPED_ROUTES).map(([path, schema]) => [
      path,
      sealwireLambda(server, async (event) => json(201, { ok: true, to: event.sealwire.body.to, amount: event.sealwire.body.amount }), { schema }),
    ]),
  )
  const headers = sealwireLambda(server, async (event) => ({ headers: event.headers }))
  const boom = sealwireLambda(server, async () => {
    throw new Error(SECRET)
  })
  return (event: LambdaHttpEvent, context: unknown): Promise<LambdaHttpResult> => {
    const path = event.rawPath
    const withSchema = typed.get(path)
    if (withSchema !== undefined) return withSchema(event, context)
    if (path === '/boom') return boom(event, context)
    if (path === '/headers') return headers(event, context)
    if (path.startsWith('/items/')) return remove(event, context)
    if (path === '/items') return items(event, context)
    return echo(event, context)
  }
}

export const lambdaHarness: AdapterHarness = {
  name: 'lambda',
  streaming: false,
  trustsProxies: false,
  start: (server) => serveNode(lambdaListener(lambdaApp(server))),
}
