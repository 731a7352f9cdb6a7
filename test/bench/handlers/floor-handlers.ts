/**
 * The floor (floor/floor-echo.ts) in the shape of Sealwire's serverless
 * adapters, so each is measured against a handler that takes what it takes and
 * returns what it returns: an API Gateway HTTP API (payload 2.0) event and
 * result, and a fetch `Request` and `Response`.
 */
import type { JsonWebKey } from 'node:crypto'
import type { LambdaHttpEvent, LambdaHttpResult } from '@sealwire/server/lambda'

import { floorEcho, SEALED_HEADERS } from '../floor/floor-echo.js'

/** The floor as a Lambda handler: the envelope from `event.body`, the sealed echo as the result's body. */
export function floorLambda(privateJwk: JsonWebKey): (event: LambdaHttpEvent) => Promise<LambdaHttpResult> {
  const echo = floorEcho(privateJwk)
  return async function floorLambdaHandler(event) {
    try {
      const envelope = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('latin1') : (event.body ?? '')
      return { statusCode: 200, headers: { ...SEALED_HEADERS }, body: echo(envelope), isBase64Encoded: false }
    } catch {
      return { statusCode: 400 }
    }
  }
}

/** The floor as a fetch handler: the envelope from `request.text()`, the sealed echo in a `Response`. */
export function floorFetch(privateJwk: JsonWebKey): (request: Request) => Promise<Response> {
  const echo = floorEcho(privateJwk)
  return async function floorFetchHandler(request) {
    const envelope = await request.text()
    try {
      return new Response(echo(envelope), { headers: SEALED_HEADERS })
    } catch {
      return new Response(null, { status: 400 })
    }
  }
}
