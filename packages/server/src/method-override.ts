import type { IncomingRequest } from './types.js'

/**
 * Request headers by which a client asks a framework to route the request as
 * another method: read by Express's `method-override` (`X-HTTP-Method-Override`
 * by default), Hono's `methodOverride({ header })`, Google APIs and others.
 *
 * The envelope binds the method (`htm`) to the request line; a header that
 * re-routes the request after Sealwire checked it would let a man in the middle
 * turn a victim's sealed `POST /items/7` into the `DELETE /items/7` handler,
 * whose answer is then sealed to the victim. So an override
 * naming another method is refused as `binding_mismatch`, and every override
 * header is removed before a handler runs (HANDLER_DROPPED_REQUEST_HEADERS).
 *
 * A `_method` query parameter or body field is not Sealwire's to honour: the
 * query is inside `htu` and the body inside the envelope, so only the sender
 * could have put it there; but a middleware that re-routes on it still runs
 * another method's handler than the one sealed. Don't mount one behind Sealwire.
 */
export const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const

/**
 * The method the envelope's `htm` must equal: the request line's, or, when a
 * method-override header names another one, that one — which the envelope,
 * bound to the request line, cannot match, so the request is refused at step 9
 * (`binding_mismatch`, sealed, before the replay store records the `jti`).
 *
 * @example
 * boundMethod({ method: 'POST', header: (n) => (n === 'x-http-method-override' ? 'DELETE' : undefined), ... }) // 'DELETE'
 */
export function boundMethod(incoming: Pick<IncomingRequest, 'method' | 'header'>): string {
  for (const name of METHOD_OVERRIDE_HEADERS) {
    const value = incoming.header(name)
    // Any value other than the request's own method (several values joined by ", " included);
    // a blank one re-routes nothing.
    const method = value?.trim().toUpperCase()
    if (method !== undefined && method !== '' && method !== incoming.method.toUpperCase()) return method
  }
  return incoming.method
}
