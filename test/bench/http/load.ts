/**
 * The HTTP benchmark's load generator: starts one server process per case
 * (server.js), seals a pool of envelopes AFTER the server is up (each is sent
 * once: a resent envelope is a replay, refused with 409), and drives it with
 * autocannon over loopback — a warm-up, then the measured run. With sessions
 * (docs/PROTOCOL.md §11), one session is established over HTTP first, by one
 * request that offers it, and every envelope of the pools is sealed within it.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { acceptSession, generateKeyPair, importRecipientKey, offerSession, openResponse, sealRequest, type ClientSession, type Curve, type RecipientKey } from '@sealwire/core'
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
  /** With sessions, over the measured run: requests the server opened within a live session, and sessions it established. */
  serverSessionHits?: number
  serverSessionsEstablished?: number
}

/** One HTTP case: a framework, plain (no curve), or sealed on a curve by Sealwire (v1 or within a session) or by the floor. */
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

/** Seals `count` envelopes for POST /echo with the 1 KiB body: v1, or within `session`, each with a fresh `jti`. */
export async function sealPool(recipient: RecipientKey, count: number, session?: ClientSession): Promise<string[]> {
  const pool: string[] = new Array(count)
  for (let i = 0; i < count; i++) pool[i] = (await sealRequest({ recipient, request: { method: 'POST', target: BENCH_ROUTE }, body: BODY_1KIB, ...(session === undefined ? {} : { session }) })).envelope
  return pool
}

/**
 * Establishes one session with the server on `port` as a client does: a v1
 * request that offers one, the sealed answer opened, the session it announced
 * accepted. Throws when the server announced none (sessions off, or refused).
 */
export async function establishBenchSession(port: number, recipient: RecipientKey): Promise<ClientSession> {
  const offer = await offerSession(recipient)
  if (offer === undefined) throw new Error(`the ${recipient.backend.name} backend cannot make session keys`)
  const sealed = await sealRequest({ recipient, request: { method: 'POST', target: BENCH_ROUTE }, body: BODY_1KIB, offer })
  const response = await fetch(`http://127.0.0.1:${port}${BENCH_ROUTE}`, { method: 'POST', headers: sealed.headers, body: sealed.httpBody })
  const opened = await openResponse(await response.text(), { reply: sealed.reply, status: response.status })
  // No `hto` was sealed (the bench servers check no origin): the session is bound to "".
  const session = await acceptSession(offer, opened.session, { jti: sealed.reply.jti, origin: '', nowSeconds: Math.floor(Date.now() / 1000) })
  if (session === undefined) throw new Error(`the server answered ${response.status} without a session`)
  return session
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
    const recipient = keys === undefined ? undefined : await importRecipientKey(keys.publicJwk)
    // One session for the whole case, made before the warm-up: its ttl (300 s) outlasts the case.
    const session = mode === 'sessions' ? await establishBenchSession(port, recipient!) : undefined
    const poolFor = async (rate: number, seconds: number) => (recipient === undefined ? undefined : sealPool(recipient, poolSize(rate, seconds, options.connections), session))
    const warmup = await load(port, options.warmupSeconds, options.connections, await poolFor(5_000, options.warmupSeconds))
    const pool = await poolFor(Math.max(warmup.requestsPerSecond, 1_000), options.durationSeconds)
    const before = await serverReading(child, 'start')
    const run = await load(port, options.durationSeconds, options.connections, pool)
    const after = await serverReading(child, 'stop')
    const requests = Math.max(run.requests, 1)
    run.serverCpuMicrosPerRequest = (after.cpuMicros - before.cpuMicros) / requests
    run.serverHeapBytesPerRequest = after.heapBytes! / requests
    if (mode === 'sessions') Object.assign(run, { serverSessionHits: after.sessionHits, serverSessionsEstablished: after.sessionsEstablished })
    return { framework, mode, curve, warmup, run }
  } finally {
    await stopServer(child)
  }
}

/** The curves the HTTP and handler cases run on, in the order they print. */
export const BENCH_CURVES: readonly Curve[] = ['X25519', 'P-256']

/** The sealed modes, per curve, in the order they run and print. */
export const SEALED_MODES = ['floor', 'sealwire', 'sessions'] as const satisfies readonly Mode[]

/**
 * Every case of the HTTP part, for the frameworks, curves and modes asked: per
 * framework, plain, then per curve the floor, Sealwire and Sealwire with
 * sessions next to each other.
 */
export function httpCases(frameworks: readonly Framework[] = FRAMEWORKS, curves: readonly Curve[] = BENCH_CURVES, modes: readonly Mode[] = ['plain', ...SEALED_MODES]): HttpCaseSpec[] {
  return frameworks.flatMap((framework) => [
    ...(modes.includes('plain') ? [{ framework, mode: 'plain' as const, curve: undefined }] : []),
    ...curves.flatMap((curve) => SEALED_MODES.filter((mode) => modes.includes(mode)).map((mode) => ({ framework, mode, curve }))),
  ])
}
