import { createSealwireServer, keysFromEnv } from '@sealwire/server'

/**
 * The one Sealwire server every route handler shares (module scope: created
 * once per server process).
 *
 * - Keys: a function, so they are read from SEALWIRE_PRIVATE_JWKS when the
 *   first request needs them. `next build` imports this module to collect
 *   the routes' data, and the build has no secrets: reading the variable here
 *   and now would fail the build.
 * - Replays: `next start` is one process, so the memory store sees every
 *   request (`singleInstance`). On Vercel or behind several instances, pass a
 *   shared `replayStore` (`@sealwire/redis`) instead.
 * - Transport: HTTPS, as deployed. For `next dev -H 127.0.0.1` / `next start
 *   -H 127.0.0.1` over plain http on this machine, SEALWIRE_ALLOW_INSECURE_LOOPBACK=true.
 *   Behind your TLS-terminating proxy, list it in trustedProxies and pass `peer`
 *   to withSealwire (Next.js does not tell the peer's address).
 */
export const sealwire = createSealwireServer({
  keys: () => keysFromEnv('SEALWIRE_PRIVATE_JWKS'),
  singleInstance: true,
  allowInsecureLoopback: process.env.SEALWIRE_ALLOW_INSECURE_LOOPBACK === 'true',
  // The tenant id clients seal beside Authorization (sealHeaders: ['x-tenant-id']), as in the other examples.
  sealedRequestHeaders: ['x-tenant-id'],
  // SESSIONS=1: forward-secret sessions (docs/PROTOCOL.md §11), as in the other examples.
  ...(process.env.SESSIONS === '1' ? { sessions: {} } : {}),
})

/** The one token `GET /api/me` accepts: a demo, not an authentication scheme. */
export const DEMO_AUTHORIZATION = 'Bearer demo-token'
