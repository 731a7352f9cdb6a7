import type { SealwireEvent } from './types.js'

/**
 * Monotonic milliseconds for `ms`, where the platform has them (all targets
 * do; Workers advance it only across I/O, which is what they allow to be seen).
 */
export const monotonicNow: () => number =
  typeof globalThis.performance?.now === 'function' ? () => globalThis.performance.now() : () => Date.now()

/**
 * Delivers an event without letting the listener break the request: a throw,
 * or a rejected promise from an async listener, is swallowed. A monitoring
 * hook must never decide whether a request is served.
 */
export function emitEvent(onEvent: ((event: SealwireEvent) => void) | undefined, event: SealwireEvent): void {
  if (onEvent === undefined) return
  try {
    const result: unknown = onEvent(event)
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') (result as Promise<unknown>).then(undefined, () => {})
  } catch {
    // swallowed on purpose, see above
  }
}

/** The route label of an event when the framework does not know the route template. */
export const UNROUTED = '*'

/**
 * A route label fit for metrics: the template an adapter or the application
 * gave, if short printable ASCII; otherwise `UNROUTED`. Never the raw path:
 * a client picks it (up to the header limit, ~8 KB, and unbounded variety).
 *
 * @example
 * routeLabel('/users/:id') // '/users/:id'
 * routeLabel(undefined)    // '*'
 */
export function routeLabel(route: string | undefined): string {
  return route !== undefined && /^[\x20-\x7e]{1,256}$/.test(route) ? route : UNROUTED
}
