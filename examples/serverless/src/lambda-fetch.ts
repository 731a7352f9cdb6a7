import { randomUUID } from 'node:crypto'
import type { LambdaHttpEvent, LambdaHttpResult } from '@sealwire/server/lambda'
import type { LambdaHandler } from './lambda.js'

const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** `01/Jan/2030:00:00:00 +0000`, API Gateway's `requestContext.time`. */
function gatewayTime(ms: number): string {
  const d = new Date(ms)
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
}

/** The event API Gateway would build for this request: the template's fields, the request's method, path, headers and body. */
export async function eventFromRequest(request: Request, template: LambdaHttpEvent): Promise<LambdaHttpEvent> {
  const url = new URL(request.url)
  const headers: Record<string, string> = { ...(template.headers as Record<string, string>) }
  delete headers['content-type']
  delete headers['content-length']
  request.headers.forEach((value, name) => {
    headers[name] = value
  })
  const body = request.body === null ? undefined : await request.text()
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  const now = Date.now()
  const event: LambdaHttpEvent = {
    ...template,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      ...template.requestContext,
      http: { ...template.requestContext.http, method: request.method, path: url.pathname },
      requestId: randomUUID(),
      time: gatewayTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  }
  if (body === undefined) delete event.body
  else event.body = body
  return event
}

/** The HTTP response API Gateway would send for a handler's result. */
export function responseFromResult(result: LambdaHttpResult): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(result.headers ?? {})) headers.set(name, String(value))
  const body = NULL_BODY.has(result.statusCode) || result.body === undefined ? null : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body
  return new Response(body, { status: result.statusCode, headers })
}

/**
 * A `fetch` that invokes a Lambda handler in process, as API Gateway would:
 * each request becomes an HTTP API (payload 2.0) event built from `template`
 * (a sample event such as `events/post-transfer.json`), the result becomes
 * the Response. Give it to `createClient({ fetch })` to drive the handler with
 * the real client — sealing, key discovery and all — without deploying.
 */
export function lambdaFetch(handler: LambdaHandler, template: LambdaHttpEvent, onInvoke?: (event: LambdaHttpEvent, result: LambdaHttpResult) => void): typeof fetch {
  return async (input, init) => {
    const event = await eventFromRequest(new Request(input, init), template)
    const result = await handler(event, {})
    onInvoke?.(event, result)
    return responseFromResult(result)
  }
}
