/** What the HTTP benchmark's load generator and its server processes agree on. */
export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const
export type Framework = (typeof FRAMEWORKS)[number]
export const BENCH_ROUTE = '/echo'
/**
 * What a server process runs: no Sealwire, Sealwire, or Sealwire's cryptography
 * alone (Express only: the ceiling for any middleware of this protocol, see server.ts).
 */
export const MODES = ['plain', 'sealwire', 'crypto-only'] as const
export type Mode = (typeof MODES)[number]
