import { KeyRing, type JwkSet } from '@sealwire/core'

/** The keys as `createSealwireServer` accepts them, once resolved. */
export type ServerKeys = KeyRing | JwkSet<unknown> | readonly unknown[]

/**
 * Keys resolved when first needed: a function returning them (or a promise of
 * them). For hosts that import the server module where its secrets do not
 * exist: `next build` evaluates route modules to collect their data, with
 * none of the run-time environment.
 */
export type LazyServerKeys = () => ServerKeys | Promise<ServerKeys>

const isKeyRing = (keys: ServerKeys): keys is KeyRing => typeof (keys as Partial<KeyRing>).publicJwks === 'function'

/** Keys imported once; a lazy source retried until it succeeds. */
export interface KeySource {
  /** The ring once imported, for the request path's synchronous look-up. */
  readonly current: KeyRing | undefined
  /** The ring; rejects with the source's own error (a `TypeError` naming the fix). */
  get(): Promise<KeyRing>
}

const importKeys = (keys: ServerKeys): Promise<KeyRing> => (isKeyRing(keys) ? Promise.resolve(keys) : KeyRing.from(keys as Parameters<typeof KeyRing.from>[0]))

/**
 * Eager keys are imported now, as they always were (a bad key rejects `ready`
 * at start-up). Lazy keys are resolved by the first `get()`; a failure is told
 * to the operator once per message on `console.error` (a missing variable
 * names itself, never a value) and the next request tries again: a secret
 * mounted late, or fixed by a redeploy of the secret store, needs no restart.
 */
export function keySource(keys: ServerKeys | LazyServerKeys): KeySource {
  let current: KeyRing | undefined
  if (typeof keys !== 'function') {
    const pending = importKeys(keys)
    pending.then((ring) => (current = ring), () => {})
    return {
      get current() {
        return current
      },
      get: () => pending,
    }
  }
  let pending: Promise<KeyRing> | undefined
  const told = new Set<string>()
  return {
    get current() {
      return current
    },
    get() {
      pending ??= (async () => importKeys(await keys()))().then(
        (ring) => (current = ring),
        (error: unknown) => {
          pending = undefined
          const message = error instanceof Error ? error.message : 'the keys function failed'
          if (!told.has(message) && told.size < 16) {
            told.add(message)
            console.error(`[sealwire] cannot load the server's keys, every sealed request is answered 500 until this is fixed: ${message}`)
          }
          throw error
        },
      )
      return pending
    },
  }
}
