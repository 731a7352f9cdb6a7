/**
 * What an adapter says, once, when a request opened by one engine reaches a
 * middleware built on another: that second engine's keys, `origins`,
 * freshness and replay store were never applied (the request was opened
 * already), so the request is answered 500 instead of run as if they had been.
 */
export function secondEngineWarning(factory: string): () => void {
  let warned = false
  return () => {
    if (warned) return
    warned = true
    console.error(
      `Sealwire: a request opened by one Sealwire server reached ${factory} built on another server, whose keys, origins, ` +
        'freshness and replay store would never apply to it; it was answered 500 internal_error. ' +
        `Mount one engine per request path: give a route-level ${factory} the same server as the app-wide one, or mount the two on paths that do not overlap.`,
    )
  }
}
