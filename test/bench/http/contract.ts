/** What the HTTP benchmark's load generator and its server processes agree on. */
export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const
export type Framework = (typeof FRAMEWORKS)[number]
export const BENCH_ROUTE = '/echo'
/**
 * What a server process runs: no Sealwire, Sealwire, the floor — the least
 * any middleware of this protocol must do, on node:crypto alone (floor/floor-echo.ts) —
 * or Sealwire with sessions on (docs/PROTOCOL.md §11), its load sealed within one session.
 */
export const MODES = ['plain', 'sealwire', 'floor', 'sessions'] as const
export type Mode = (typeof MODES)[number]

/** IPC from the load generator: start measuring, or stop and report. */
export type ServerCommand = 'start' | 'stop'
/**
 * The server's answer: its CPU time so far, and (to 'stop') the heap bytes allocated since 'start';
 * with sessions on, also the session lookups that found a live session and the sessions established since 'start'.
 */
export interface ServerReading {
  cpuMicros: number
  heapBytes?: number
  sessionHits?: number
  sessionsEstablished?: number
}
