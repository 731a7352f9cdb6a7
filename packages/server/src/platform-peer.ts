/**
 * The connection's peer address as Bun and Deno hand it to a fetch handler,
 * for apps that pass no `peer` of their own: Bun's `server.requestIP(request)`
 * (the second argument of `Bun.serve`'s `fetch`), Deno's `info.remoteAddr`
 * (the second argument of `Deno.serve`'s handler; a Unix socket has no
 * hostname). Both come from the socket, not from a header.
 */

interface BunServerLike {
  requestIP(request: Request): { address?: unknown } | null
}
interface DenoServeInfoLike {
  remoteAddr: { hostname?: unknown }
}

/** Whether this runtime's server passes its peer address to the handler (Bun, Deno). */
export function runtimeTellsPeer(): boolean {
  const g = globalThis as { Bun?: unknown; Deno?: unknown }
  return g.Bun !== undefined || g.Deno !== undefined
}

/**
 * @param rest the platform's arguments after the Request
 * @example
 * Bun.serve({ fetch: (request, server) => ... platformPeer(request, [server]) }) // '127.0.0.1'
 */
export function platformPeer(request: Request, rest: readonly unknown[]): string | undefined {
  const arg = rest[0]
  if (typeof arg !== 'object' || arg === null) return undefined
  if (typeof (arg as Partial<BunServerLike>).requestIP === 'function') {
    try {
      const address = (arg as BunServerLike).requestIP(request)?.address
      return typeof address === 'string' ? address : undefined
    } catch {
      // Not the Request Bun handed over (a rebuilt one): Bun cannot tell.
      return undefined
    }
  }
  const remote = (arg as Partial<DenoServeInfoLike>).remoteAddr
  const hostname = typeof remote === 'object' && remote !== null ? remote.hostname : undefined
  return typeof hostname === 'string' ? hostname : undefined
}
