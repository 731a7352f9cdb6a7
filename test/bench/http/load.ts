/**
 * The HTTP benchmark's load generator: starts one server process per case
 * (server.js), seals a pool of envelopes AFTER the server is up (each is sent
 * once: a resent envelope is a replay, refused with 409), and drives it with
 * autocannon over loopback — a warm-up, then the measured run.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { generateKeyPair, importRecipientKey, sealRequest, type Curve } from '@sealwire/core'
import autocannon from 'autocannon'

import { BENCH_ROUTE, type Framework, type Mode } from './contract.js'

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
}

/** One HTTP case: a framework, plain (no curve) or sealed on a curve, or sealed with the crypto alone. */
export interface HttpCaseSpec {
  framework: Framework
  /** Sealwire's curve, or undefined for the plain server. */
  curve: Curve | undefined
  /** Sealwire's cryptography alone, without its checks (server.ts `crypto-only`): the ceiling. */
  cryptoOnly?: true
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

/** The server process's CPU time so far, in microseconds (see server.ts); rejects if it died instead of answering. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the server exited (${code}) before reporting its CPU time`))
    child.once('exit', onExit)
    child.once('message', (m: { cpuMicros: number }) => (child.off('exit', onExit), resolve(m.cpuMicros)))
    child.send('cpu')
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
async function sealPool(recipientJwk: Parameters<typeof importRecipientKey>[0], count: number): Promise<string[]> {
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
export async function benchServer(options: HttpBenchOptions, { framework, curve, cryptoOnly }: HttpCaseSpec): Promise<HttpCase> {
  const keys = curve === undefined ? undefined : await generateKeyPair(curve)
  const mode: Mode = keys === undefined ? 'plain' : cryptoOnly === true ? 'crypto-only' : 'sealwire'
  const { child, port } = await startServer(options.serverScript, framework, mode, keys?.privateJwk)
  try {
    const poolFor = async (rate: number, seconds: number) => (keys === undefined ? undefined : sealPool(keys.publicJwk, poolSize(rate, seconds, options.connections)))
    const warmup = await load(port, options.warmupSeconds, options.connections, await poolFor(5_000, options.warmupSeconds))
    const pool = await poolFor(Math.max(warmup.requestsPerSecond, 1_000), options.durationSeconds)
    const cpuBefore = await serverCpu(child)
    const run = await load(port, options.durationSeconds, options.connections, pool)
    run.serverCpuMicrosPerRequest = (await serverCpu(child)) - cpuBefore
    if (run.requests > 0) run.serverCpuMicrosPerRequest /= run.requests
    return { framework, curve, ...(cryptoOnly === true ? { cryptoOnly } : {}), warmup, run }
  } finally {
    await stopServer(child)
  }
}

/** Every case of the HTTP part: per framework, plain then sealed (Express on both curves, and its crypto-only ceiling). */
export const HTTP_CASES: readonly HttpCaseSpec[] = [
  { framework: 'express', curve: undefined },
  { framework: 'express', curve: 'X25519' },
  { framework: 'express', curve: 'P-256' },
  { framework: 'express', curve: 'X25519', cryptoOnly: true },
  { framework: 'express', curve: 'P-256', cryptoOnly: true },
  { framework: 'fastify', curve: undefined },
  { framework: 'fastify', curve: 'X25519' },
  { framework: 'hono', curve: undefined },
  { framework: 'hono', curve: 'X25519' },
]
