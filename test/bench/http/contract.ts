/** What the HTTP benchmark's load generator and its server processes agree on. */
export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const
export type Framework = (typeof FRAMEWORKS)[number]
export const BENCH_ROUTE = '/echo'
