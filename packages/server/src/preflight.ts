import { ENVELOPE_HEADER } from '@sealwire/core'
import type { IncomingRequest } from './types.js'

/**
 * A CORS preflight (Fetch §4.8): OPTIONS with `Origin` and
 * `Access-Control-Request-Method`. It never carries an envelope: a browser
 * sends it on its own, before the sealed request, with no body or credentials.
 *
 * @example
 * isCorsPreflight('OPTIONS', (name) => request.headers.get(name) ?? undefined)
 */
export function isCorsPreflight(method: string, header: (name: string) => string | undefined): boolean {
  return method === 'OPTIONS' && header('access-control-request-method') !== undefined && header('origin') !== undefined
}

const ENVELOPE_HEADER_NAME = ENVELOPE_HEADER.toLowerCase()

/**
 * A preflight as a browser sends it: no body, no envelope. The engine answers
 * it itself (204, in `precheck`) instead of letting an adapter pass it on.
 */
export function isUnsealedPreflight(incoming: IncomingRequest): boolean {
  return !incoming.hasBody && incoming.header(ENVELOPE_HEADER_NAME) === undefined && isCorsPreflight(incoming.method, incoming.header)
}
