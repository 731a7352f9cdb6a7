/**
 * The HTTP benchmark's load generator: starts one server process per case
 * (server.js), seals a pool of envelopes AFTER the server is up (each is sent
 * once: a resent envelope is a replay, refused with 409), and drives it with
 * autocannon over loopback — a warm-up, then the measured run.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { generateKeyPair, importRecipientKey, sealRequest, type Curve } from '@sealwire/core'
import autocannon from 'autocannon'

import { BENCH_ROUTE, FRAMEWORKS, type Framework, type Mode, type ServerCommand, type ServerReading } from './contract.js'

export interface HttpBenchOptions {
  /** The built server script (server.js). */
  serverScript: string
  connections: number
  warmupSeconds: number
  durationSeconds: number
}

/** One measured run of one server. */
export interface HttpRun {
  requestsPerSecond: number
  requests: number
  /** Answers with a 2xx status. */
  ok: number
  non2xx: number
  errors: number
  timeouts: number
  latencyP50Ms: number
  latencyP99Ms: number
  /** Sealed runs: envelopes sealed, and how many autocannon took (each at most once). */
  envelopesSealed?: number
  envelopesTaken?: number
  /** The pool ran short and the run stopped before its duration (its rate still holds; size the pool up). */
  stoppedEarly?: boolean
  /** The server process's CPU time (user + system, all its threads) per request over the run. */
  serverCpuMicrosPerRequest?: number
  /** Bytes the server process allocated on its V8 heap per request over the run (heap-allocation.ts). */
  serverHeapBytesPerRequest?: number
}

/** One HTTP case: a framework, plain (no curve), or sealed on a curve by Sealwire or by the floor. */
export interface HttpCaseSpec {
  framework: Framework
  mode: Mode
  /** The server key's curve; undefined for the plain server. */
  curve: Curve | undefined
}

export interface HttpCase extends HttpCaseSpec {
  warmup: HttpRun
  run: HttpRun
  /** With several rounds: every round's measured run (`run` is the median one, with errors summed over all). */
  rounds?: HttpRun[]
}

/** A 1 KiB JSON body, as the numbers use. */
export const BODY_1KIB = { to: 'alice', amount: 42, memo: 'x'.repeat(1024 - 40) }
const bodyText = JSON.stringify(BODY_1KIB)

/** Forks one server process (server.ts) and resolves once it listens. */
export async function startServer(script: string, framework: Framework, mode: Mode, jwk: unknown): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(script, [framework, mode], { env: { ...process.env, SEALWIRE_BENCH_JWK: JSON.stringify(jwk) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework} ${mode} server did not start within 20 s`)), 20_000)
    child.once('message', (m: { port: number }) => (clearTimeout(timer), resolve(m.port)))
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${framework} ${mode} server exited (${code})`))))
  })
  return { child, port }
}

/** Starts or stops the server's measuring (see server.ts); rejects if it died instead of answering. */
function serverReading(child: ChildProcess, command: ServerCommand): Promise<ServerReading> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the server exited (${code}) before reporting its CPU time`))
    child.once('exit', onExit)
    child.once('message', (m: ServerReading) => (child.off('exit', onExit), resolve(m)))
    child.send(command)
  })
}

export function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => (clearTimeout(timer), resolve()))
    child.kill('SIGTERM')
  })
}

/** Seals `count` envelopes for POST /echo with the 1 KiB body. */
export async function sealPool(recipientJwk: Parameters<typeof importRecipientKey>[0], count: number): Promise<string[]> {
  const recipient = await importRecipientKey(recipientJwk)
  const pool: string[] = new Array(count)
  for (let i = 0; i < count; i++) pool[i] = (await sealRequest({ recipient, request: { method: 'POST', target: BENCH_ROUTE }, body: BODY_1KIB })).envelope
  return pool
}

/**
 * One autocannon run. With a pool, each request takes the next envelope and
 * the run stops before the pool runs dry (`maxOverallRequests`), so no
 * envelope is ever sent twice.
 */
async function load(port: number, seconds: number, connections: number, pool: string[] | undefined): Promise<HttpRun> {
  let taken = 0
  const base = { method: 'POST' as const, path: BENCH_ROUTE }
  const requests =
    pool === undefined
      ? [{ ...base, headers: { 'content-type': 'application/json' }, body: bodyText }]
      : [
          {
            ...base,
            headers: { 'content-type': 'application/jose' },
            setupRequest: (request: Record<string, unknown>) => {
              if (taken >= pool.length) throw new Error('envelope pool exhausted') // never reached: see maxOverallRequests
              request.body = pool[taken++]
              return request
            },
          },
        ]
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    // Requests in flight are set up before they are counted: keep a margin of one per connection.
    ...(pool === undefined ? {} : { maxOverallRequests: pool.length - connections }),
    requests,
  })
  const total = result['2xx'] + result.non2xx
  return {
    requestsPerSecond: total / (result.duration || seconds),
    requests: total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    ...(pool === undefined ? {} : { envelopesSealed: pool.length, envelopesTaken: taken, stoppedEarly: total >= pool.length - connections }),
  }
}

/** Envelopes a run of `seconds` needs at `rate` req/s, with room to spare (sealing is cheaper than serving). */
const poolSize = (rate: number, seconds: number, connections: number) => Math.ceil(rate * seconds * 2.5) + 4 * connections

/**
 * Runs one server: warm-up, then the measured run. A sealed run's pool is
 * sized from its warm-up's rate (the warm-up's own pool from a generous
 * guess), and sealed after the server started.
 */
export async function benchServer(options: HttpBenchOptions, { framework, mode, curve }: HttpCaseSpec): Promise<HttpCase> {
  const keys = curve === undefined ? undefined : await generateKeyPair(curve)
  const { child, port } = await startServer(options.serverScript, framework, mode, keys?.privateJwk)
  try {
    const poolFor = async (rate: number, seconds: number) => (keys === undefined ? undefined : sealPool(keys.publicJwk, poolSize(rate, seconds, options.connections)))
    const warmup = await load(port, options.warmupSeconds, options.connections, await poolFor(5_000, options.warmupSeconds))
    const pool = await poolFor(Math.max(warmup.requestsPerSecond, 1_000), options.durationSeconds)
    const before = await serverReading(child, 'start')
    const run = await load(port, options.durationSeconds, options.connections, pool)
    const after = await serverReading(child, 'stop')
    const requests = Math.max(run.requests, 1)
    run.serverCpuMicrosPerRequest = (after.cpuMicros - before.cpuMicros) / requests
    run.serverHeapBytesPerRequest = after.heapBytes! / requests
    return { framework, mode, curve, warmup, run }
  } finally {
    await stopServer(child)
  }
}

/** The curves the HTTP and handler cases run on, in the order they print. */
export const BENCH_CURVES: readonly Curve[] = ['X25519', 'P-256']

/**
 * Every case of the HTTP part, for the frameworks and curves asked: per
 * framework, plain, then per curve the floor and Sealwire next to each other.
 */
export function httpCases(frameworks: readonly Framework[] = FRAMEWORKS, curves: readonly Curve[] = BENCH_CURVES): HttpCaseSpec[] {
  return frameworks.flatMap((framework) => [
    { framework, mode: 'plain' as const, curve: undefined },
    ...curves.flatMap((curve) => (['floor', 'sealwire'] as const).map((mode) => ({ framework, mode, curve }))),
  ])
}
