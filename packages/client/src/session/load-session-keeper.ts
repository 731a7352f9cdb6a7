import type { SessionKeeper } from './session-keeper.js'

/**
 * This client's sessions, loaded on first use rather than with the page: a
 * browser app that never sends a request never fetches the session code, and
 * bundlers split it into a chunk of its own. The first request starts the load
 * beside its key discovery, so it still offers a session without waiting
 * longer. A failed load (offline, a chunk gone after a deploy) seals that
 * request as plain v1, and the next request tries again.
 */
export function loadSessionKeeper(): () => Promise<SessionKeeper | undefined> {
  let keeper: Promise<SessionKeeper | undefined> | undefined
  return () =>
    (keeper ??= import('./session-keeper.js').then(
      (m) => new m.SessionKeeper(),
      () => {
        keeper = undefined
        return undefined
      },
    ))
}
