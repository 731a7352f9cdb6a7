/**
 * `npx -y pnpm@10 bench`: the whole benchmark in one run, side by side —
 *   1. the protocol micro-benchmarks (protocol.bench.ts, through `vitest bench`), in
 *      rounds (3 by default), each target the median of its per-round ratios;
 *   2. HTTP over loopback (autocannon, 50 connections): per framework — Express 5,
 *      Fastify, Hono on @hono/node-server — the plain server, and per curve the
 *      floor (the least any middleware of the protocol must do, on node:crypto
 *      alone: floor/floor-echo.ts), Sealwire, and Sealwire with sessions on (its
 *      load sealed within one session, docs/PROTOCOL.md §11), in rounds (5 by default, 3 s each),
 *      each case's median round reported, with the server's CPU time and heap
 *      bytes allocated per request; each Sealwire/floor req/s target is the
 *      median of its per-round ratios (floor and Sealwire run back to back);
 *   3. the Lambda and fetch adapters without a network: handler calls in a loop
 *      against the floor in the same shape (handlers/), in the same rounds and
 *      with the same paired ratios;
 *   4. the memory replay store's bytes per remembered jti;
 *   5. in Chromium (playwright-core, /usr/bin/chromium), in the page with no
 *      network: the client's seal + open per request within a session against
 *      v1, on WebCrypto and on the pure-JS fallback (browser/session-page.ts);
 *   6. sealed streams (streams/stream-bench.ts): 256 MiB through the record writer
 *      and reader, as a download (web streams) and an upload (the calls), against
 *      AES-256-GCM alone over the same bytes, with the RSS growth of each;
 * then writes the run as JSON (bench-results/latest.json) and prints each
 * target, met or NOT met. Ratios, not absolute claims.
 *
 *   npx -y pnpm@10 bench
 *   npx -y pnpm@10 bench -- --duration 10 --json out.json
 *   npx -y pnpm@10 bench -- --only http,handlers --frameworks express --curves X25519 --rounds 1 --duration 1 --warmup 0.5 --handler-duration 1   (a quick check)
 *   npx -y pnpm@10 bench -- --only http --modes plain,sealwire,sessions --rounds 1   (sessions against v1 and plain only)
 *
 * Bundled by tsup (test/bench/tsup.config.ts), run with `--expose-gc`.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { CURVES, DEFAULT_MEMORY_REPLAY_MAX_ENTRIES, DEFAULT_REPLAY_TTL_SECONDS, MemoryReplayStore, type Curve } from '@sealwire/core'

import { HANDLER_SHAPES, benchHandlerPair, handlerCases, type HandlerCase, type HandlerCaseSpec, type HandlerShape } from './handlers/handler-bench.js'
import { FRAMEWORKS, MODES, type Framework, type Mode } from './http/contract.js'
import { BENCH_CURVES, benchServer, httpCases, type HttpCase, type HttpCaseSpec } from './http/load.js'
import { BENCH, GROUP, ROUND_OF_GROUP } from './micro-names.js'
import { medianBy, pairedRatio } from './median.js'
import type { PageBenchOptions, PageBenchRow } from './browser/session-page.js'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js'
import { runStreams, type StreamBenchResult } from './streams/stream-bench.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../../..')

const argv = process.argv.slice(2)
const { values: args } = parseArgs({
  // pnpm 10 passes the `--` of `pnpm bench -- --duration 10` through.
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    only: { type: 'string' }, // micro | http | handlers | store | browser | streams
    frameworks: { type: 'string', default: FRAMEWORKS.join(',') },
    // The server keys' curves, for the HTTP and handler cases.
    curves: { type: 'string', default: BENCH_CURVES.join(',') },
    // The HTTP servers to run: plain, floor, sealwire (v1), sessions (Sealwire with sessions on).
    modes: { type: 'string', default: MODES.join(',') },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    // HTTP and handler rounds: every case once per round, floor and Sealwire back to back; medians reported.
    rounds: { type: 'string', default: '5' },
    // Seconds each handler loop runs per round (after a warm-up of 300 calls).
    'handler-duration': { type: 'string', default: '2' },
    // Micro-benchmark rounds: the whole set again; each target is its median per-round ratio.
    'micro-rounds': { type: 'string', default: '3' },
    // Milliseconds each micro-benchmark runs per round (a short one for the bench's own test).
    'micro-time': { type: 'string', default: '500' },
    'store-entries': { type: 'string', default: '1000000' },
    // Chromium: alternating rounds of v1 and session per curve and backend, and the milliseconds each side runs per round.
    'browser-rounds': { type: 'string', default: '5' },
    'browser-ms': { type: 'string', default: '300' },
    // MiB each sealed-stream path carries (a short check: --stream-mib 32).
    'stream-mib': { type: 'string', default: '256' },
    json: { type: 'string', default: join(root, 'bench-results', 'latest.json') },
  },
})
const parts = args.only === undefined ? ['micro', 'http', 'handlers', 'store', 'streams', 'browser'] : args.only.split(',')
const frameworks = args.frameworks.split(',') as Framework[]
for (const f of frameworks) if (!FRAMEWORKS.includes(f)) throw new Error(`unknown framework ${f} (${FRAMEWORKS.join(', ')})`)
const curves = args.curves.split(',') as Curve[]
for (const c of curves) if (!CURVES.includes(c)) throw new Error(`unknown curve ${c} (${CURVES.join(', ')})`)
const modes = args.modes.split(',') as Mode[]
for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} (${MODES.join(', ')})`)
const rounds = Number(args.rounds)

/** ops/s of each micro-benchmark in each round (index round − 1), by "<group> > <bench>" (group as protocol.bench.ts names it, without its round). */
type Micro = Record<string, number[]>

function runMicro(): Micro {
  const dir = mkdtempSync(join(tmpdir(), 'sealwire-bench-'))
  try {
    const out = join(dir, 'micro.json')
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
    // --expose-gc for the bench workers: protocol.bench.ts collects before each benchmark.
    const env = { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--expose-gc'].filter(Boolean).join(' '), SEALWIRE_BENCH_MICRO_ROUNDS: args['micro-rounds'], SEALWIRE_BENCH_MICRO_TIME: args['micro-time'] }
    const run = spawnSync(process.execPath, [vitest, 'bench', '--config', 'test/vitest.config.ts', '--project', 'integration', '--run', 'test/bench', '--outputJson', out], { cwd: root, stdio: 'inherit', env })
    if (run.status !== 0) throw new Error(`vitest bench failed (${run.status})`)
    const report = JSON.parse(readFileSync(out, 'utf8')) as { files: { groups: { fullName: string; benchmarks: { name: string; hz: number }[] }[] }[] }
    const micro: Micro = {}
    for (const file of report.files) {
      for (const group of file.groups) {
        const full = group.fullName.split(' > ').slice(1).join(' > ') || group.fullName
        const named = ROUND_OF_GROUP.exec(full)
        if (named === null) throw new Error(`micro-benchmark group without a round: ${full}`)
        const [, name, round] = named
        for (const b of group.benchmarks) (micro[`${name} > ${b.name}`] ??= [])[Number(round) - 1] = b.hz
      }
    }
    return micro
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Every case once per round, and each case's results by round. Rounds, not one
 * long run: this VM's speed drifts by up to 2× over minutes; running every case
 * in each round and taking each case's median keeps one slow stretch from
 * landing on only one side of a ratio. Odd rounds run the cases in order, even
 * rounds in reverse: a drift within a round then favours no case by its place
 * in the list.
 */
async function inRounds<C, R>(cases: readonly C[], run: (c: C, round: number) => Promise<R>, report: (round: number, result: R) => void): Promise<R[][]> {
  const byCase = cases.map(() => [] as R[])
  for (let round = 1; round <= rounds; round++) {
    const order = [...cases.entries()]
    if (round % 2 === 0) order.reverse()
    for (const [i, c] of order) {
      const result = await run(c, round)
      report(round, result)
      byCase[i]!.push(result)
    }
  }
  return byCase
}

async function runHttp(): Promise<HttpCase[]> {
  const options = {
    serverScript: join(here, 'server.js'),
    connections: Number(args.connections),
    warmupSeconds: Number(args.warmup),
    durationSeconds: Number(args.duration),
  }
  const byCase = await inRounds(httpCases(frameworks, curves, modes), (c) => benchServer(options, c), (round, result) => {
    const r = result.run
    const sessions = r.serverSessionHits === undefined ? '' : `, opened within the session ${r.serverSessionHits}, sessions made ${r.serverSessionsEstablished}`
    console.log(
      `http round ${round} ${caseLabel(result)}: ${r.requestsPerSecond.toFixed(0)} req/s, server CPU ${r.serverCpuMicrosPerRequest?.toFixed(0)} µs/req, heap ${r.serverHeapBytesPerRequest?.toFixed(0)} B/req, ` +
        `p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}${sessions}`,
    )
    if (r.stoppedEarly === true) console.log(`  (the envelope pool ran short: this run stopped after ${r.requests} requests)`)
  })
  return byCase.map(medianCase)
}

/**
 * One case over its rounds: the round with the median req/s stands for it
 * (its own CPU and heap figures with it), the others are kept under `rounds`; errors and
 * non-2xx are summed over every round, so a failure in any round shows.
 */
function medianCase(results: HttpCase[]): HttpCase {
  const middle = medianBy(results, (c) => c.run.requestsPerSecond)!
  const sum = (pick: (c: HttpCase) => number) => results.reduce((n, c) => n + pick(c), 0)
  return {
    ...middle,
    run: { ...middle.run, non2xx: sum((c) => c.run.non2xx), errors: sum((c) => c.run.errors), timeouts: sum((c) => c.run.timeouts) },
    rounds: results.map((c) => c.run),
  }
}

async function runHandlers(): Promise<HandlerCase[]> {
  const seconds = Number(args['handler-duration'])
  const pairs = HANDLER_SHAPES.flatMap((shape) => curves.map((curve) => ({ shape, curve })))
  // Rounds of pairs: each pair's floor and Sealwire back to back, the two sides too in reverse on even rounds.
  const byPair = await inRounds(pairs, ({ shape, curve }, round) => benchHandlerPair(shape, curve, seconds, round % 2 === 0), (round, pair) => {
    for (const result of pair) {
      const r = result.run
      console.log(`handlers round ${round} ${handlerLabel(result)}: ${r.callsPerSecond.toFixed(0)} calls/s, CPU ${r.cpuMicrosPerCall.toFixed(0)} µs/call, heap ${r.heapBytesPerCall.toFixed(0)} B/call, not 200: ${r.calls - r.ok}`)
      if (r.stoppedEarly) console.log(`  (the envelope pool ran short: this loop stopped after ${r.calls} calls)`)
    }
  })
  // As medianCase: the median round by calls/s, with the calls not answered 200 summed over every round.
  return byPair.flatMap((rounds) =>
    ([0, 1] as const).map((side) => {
      const results = rounds.map((pair) => pair[side])
      const middle = medianBy(results, (c) => c.run.callsPerSecond)!
      return { ...middle, failedCalls: results.reduce((n, c) => n + c.run.calls - c.run.ok, 0), rounds: results.map((c) => c.run) }
    }),
  )
}

/** Heap + ArrayBuffer growth per jti of a MemoryReplayStore holding `entries` live jtis, and its own byteLength. */
async function runStore(entries: number) {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with node --expose-gc')
  // As sealRequest spells them, cut from one buffer (kept alive through both readings):
  // a million 16-byte Buffers would be a million ArrayBuffers dying during the measure.
  const random = randomBytes(16 * entries)
  const jtis = Array.from({ length: entries }, (_, i) => random.toString('base64url', 16 * i, 16 * i + 16))
  const used = async () => {
    // Collections with pauses: V8 frees dead ArrayBuffers' memory after a collection,
    // off the main thread (the store's arrays as they grow, ~27 MB here), and a reading
    // right after gc() sometimes still counted them (46.6 against 19.8 B per entry).
    for (let i = 0; i < 3; i++) {
      gc()
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }
  const before = await used()
  const store = new MemoryReplayStore({ maxEntries: Math.max(entries, DEFAULT_MEMORY_REPLAY_MAX_ENTRIES) })
  const expiresAt = Date.now() + 60_000
  let refused = 0
  for (const jti of jtis) if (!(await store.checkAndSet(jti, expiresAt))) refused++
  const after = await used()
  // Both readings must hold the jtis and their buffer: dead by now, they would be collected
  // before the second one and come off the store's figure.
  if (jtis.length !== entries || random.length !== 16 * entries) throw new Error('unreachable')
  return { entries, refused, live: store.size, heapBytesPerEntry: (after - before) / entries, reportedBytesPerEntry: store.byteLength / entries }
}

/**
 * The sessions micro-benchmark in Chromium's page (browser/session-page.ts),
 * with no network: the page and its script are answered by the browser's own
 * request routing, at a loopback origin (a secure context, as WebCrypto needs).
 * Undefined, and said so, where Chromium is not installed.
 */
async function runBrowser(options: PageBenchOptions): Promise<{ userAgent: string; backend: string; rows: PageBenchRow[] } | undefined> {
  if (!existsSync(CHROMIUM_PATH)) {
    console.log(`\n${CHROMIUM_PATH} not found: the Chromium part is not measured (apt-get install -y chromium)`)
    return undefined
  }
  const { chromium } = await import('playwright-core')
  // --expose-gc: the page collects before each side it times (browser/session-page.ts).
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'] })
  try {
    const page = await browser.newPage()
    const origin = 'http://127.0.0.1:9'
    const script = readFileSync(join(here, 'session-page.js'), 'utf8')
    await page.route(`${origin}/**`, (route) =>
      new URL(route.request().url()).pathname === '/session-page.js'
        ? route.fulfill({ contentType: 'text/javascript', body: script })
        : route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>Sealwire sessions bench</title><script src="/session-page.js"></script>' }),
    )
    await page.goto(`${origin}/`)
    type Bench = (o: PageBenchOptions) => Promise<{ userAgent: string; backend: string; rows: PageBenchRow[] }>
    return await page.evaluate((o) => (globalThis as unknown as { sealwireSessionBench: Bench }).sealwireSessionBench(o), options)
  } finally {
    await browser.close()
  }
}

const MODE_LABEL = { plain: 'plain', floor: 'floor', sealwire: 'Sealwire', sessions: 'Sealwire sessions' } as const
/** `express plain`, `express floor X25519`, `express Sealwire X25519`, `express Sealwire sessions X25519`. */
const caseLabel = (c: HttpCaseSpec) => `${c.framework} ${MODE_LABEL[c.mode]}${c.curve === undefined ? '' : ` ${c.curve}`}`
/** `lambda floor X25519`, `fetch Sealwire P-256`. */
const handlerLabel = (c: HandlerCaseSpec) => `${c.shape} ${MODE_LABEL[c.mode]} ${c.curve}`
const FRAMEWORK_NAME: Record<Framework, string> = { express: 'Express', fastify: 'Fastify', hono: 'Hono' }
/** Sealwire with sessions against the plain server, req/s; Hono's is reported without a target. */
const SESSION_PLAIN_BOUND: Record<Framework, number | undefined> = { express: 0.85, fastify: 0.5, hono: undefined }
const SHAPE_NAME: Record<HandlerShape, string> = { lambda: 'Lambda adapter', fetch: 'fetch adapter' }

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b)

interface Target {
  target: string
  value: number | undefined
  /** The bound and its direction. */
  bound: number
  atMost?: boolean
  extra?: boolean
}

/** The measured case, if it ran. */
const httpRun = (http: HttpCase[] | undefined, framework: Framework, mode: HttpCaseSpec['mode'], curve?: Curve) =>
  http?.find((h) => h.framework === framework && h.mode === mode && h.curve === curve)?.run
const handlerRun = (handlers: HandlerCase[] | undefined, shape: HandlerShape, mode: HandlerCaseSpec['mode'], curve: Curve) =>
  handlers?.find((h) => h.shape === shape && h.mode === mode && h.curve === curve)

type BrowserRun = Awaited<ReturnType<typeof runBrowser>>

function targetsOf(micro: Micro | undefined, http: HttpCase[] | undefined, handlers: HandlerCase[] | undefined, store: Awaited<ReturnType<typeof runStore>> | undefined, browser: BrowserRun, streams?: StreamBenchResult): Target[] {
  // The median over rounds of a/b, each round's pair measured next to each other.
  const m = (group: string, a: string, b: string) => pairedRatio(micro?.[`${group} > ${a}`], micro?.[`${group} > ${b}`])
  const { open, seal, sessionClient, sessionServer } = GROUP
  const rps = (framework: Framework, mode: HttpCaseSpec['mode'], curve?: Curve) => httpRun(http, framework, mode, curve)?.requestsPerSecond
  /** req/s of every round of a case, in round order. */
  const roundRps = (framework: Framework, mode: HttpCaseSpec['mode'], curve?: Curve) =>
    http?.find((h) => h.framework === framework && h.mode === mode && h.curve === curve)?.rounds?.map((r) => r.requestsPerSecond)
  const roundCalls = (shape: HandlerShape, mode: HandlerCaseSpec['mode'], curve: Curve) => handlerRun(handlers, shape, mode, curve)?.rounds?.map((r) => r.callsPerSecond)
  /** The server CPU a case adds per request over the same framework's plain server. */
  const cpuAdded = (framework: Framework, mode: HttpCaseSpec['mode'], curve: Curve) => {
    const r = httpRun(http, framework, mode, curve)?.serverCpuMicrosPerRequest
    const p = httpRun(http, framework, 'plain')?.serverCpuMicrosPerRequest
    return r === undefined || p === undefined ? undefined : r - p
  }
  const heap = (framework: Framework, mode: HttpCaseSpec['mode'], curve?: Curve) => httpRun(http, framework, mode, curve)?.serverHeapBytesPerRequest
  const failures = (c: HttpCaseSpec) => {
    const r = httpRun(http, c.framework, c.mode, c.curve)
    return r === undefined ? undefined : r.errors + r.non2xx + r.timeouts
  }
  const sealedRates = (http ?? []).filter((h) => h.mode === 'sealwire' || h.mode === 'sessions').map((h) => h.run.requestsPerSecond)
  const acceptRate = sealedRates.length === 0 ? undefined : Math.max(...sealedRates)
  // Every framework and curve is listed, run or not: what was not run shows as not measured.
  const sealedCases = httpCases().filter((c) => c.curve !== undefined)
  const pairs = FRAMEWORKS.flatMap((framework) => BENCH_CURVES.map((curve) => ({ framework, curve, name: `${FRAMEWORK_NAME[framework]} + Sealwire ${curve}` })))
  const targets: Target[] = [
    { target: 'openRequest X25519 1 KiB / jose compactDecrypt', value: m(open('X25519', '1 KiB'), BENCH.openNode, BENCH.joseDecrypt), bound: 4 },
    { target: 'openRequest X25519 1 KiB / native key agreement', value: m(open('X25519', '1 KiB'), BENCH.openNode, BENCH.agreement), bound: 0.4 },
    { target: 'openRequest P-256 1 KiB / jose compactDecrypt', value: m(open('P-256', '1 KiB'), BENCH.openNode, BENCH.joseDecrypt), bound: 3 },
    { target: 'sealRequest X25519 1 KiB / jose CompactEncrypt', value: m(seal('X25519', '1 KiB'), BENCH.sealNode, BENCH.joseEncrypt), bound: 3 },
    { target: 'sealRequest P-256 1 KiB / jose CompactEncrypt', value: m(seal('P-256', '1 KiB'), BENCH.sealNode, BENCH.joseEncrypt), bound: 3 },
    { target: 'Express + Sealwire X25519 / plain Express (req/s)', value: ratio(rps('express', 'sealwire', 'X25519'), rps('express', 'plain')), bound: 0.7 },
    { target: 'Express + Sealwire P-256 / plain Express (req/s)', value: ratio(rps('express', 'sealwire', 'P-256'), rps('express', 'plain')), bound: 0.6 },
    // The floor is the least any middleware of the protocol does: Sealwire within 10 % of its rate, and twice its garbage at most.
    ...pairs.map(({ framework, curve, name }) => ({ target: `${name} / ${FRAMEWORK_NAME[framework]} floor ${curve} (req/s)`, value: pairedRatio(roundRps(framework, 'sealwire', curve), roundRps(framework, 'floor', curve)), bound: 0.9 })),
    ...pairs.map(({ framework, curve, name }) => ({ target: `${name} / ${FRAMEWORK_NAME[framework]} floor ${curve} (heap bytes allocated per request)`, value: ratio(heap(framework, 'sealwire', curve), heap(framework, 'floor', curve)), bound: 2, atMost: true })),
    // Sessions (docs/PROTOCOL.md §11): the same adapter, every measured request within one session.
    ...FRAMEWORKS.flatMap((framework) =>
      BENCH_CURVES.map((curve) => {
        const bound = SESSION_PLAIN_BOUND[framework]
        const target = `${FRAMEWORK_NAME[framework]} + Sealwire sessions ${curve} / plain ${FRAMEWORK_NAME[framework]} (req/s)`
        const value = ratio(rps(framework, 'sessions', curve), rps(framework, 'plain'))
        return bound === undefined ? { target: `${target}, reported`, value, bound: 0, extra: true } : { target, value, bound }
      }),
    ),
    // What a request within a session still costs the server, against a v1 request: both over plain, in CPU time.
    ...pairs.map(({ framework, curve }) => ({
      target: `${FRAMEWORK_NAME[framework]} + Sealwire sessions ${curve}: server CPU added per request / v1's`,
      value: ratio(cpuAdded(framework, 'sessions', curve), cpuAdded(framework, 'sealwire', curve)),
      bound: 0.33,
      atMost: true,
    })),
    ...sealedCases.map((c) => ({ target: `${caseLabel(c)}: errors + non-2xx + timeouts`, value: failures(c), bound: 0, atMost: true })),
    { target: 'Fastify + Sealwire X25519 / plain Fastify (req/s), reported', value: ratio(rps('fastify', 'sealwire', 'X25519'), rps('fastify', 'plain')), bound: 0, extra: true },
    { target: 'Hono + withSealwire X25519 / plain Hono (req/s), reported', value: ratio(rps('hono', 'sealwire', 'X25519'), rps('hono', 'plain')), bound: 0, extra: true },
    ...HANDLER_SHAPES.flatMap((shape) =>
      BENCH_CURVES.map((curve) => ({
        target: `${SHAPE_NAME[shape]} + Sealwire ${curve} / floor ${shape} handler ${curve} (calls/s)`,
        value: pairedRatio(roundCalls(shape, 'sealwire', curve), roundCalls(shape, 'floor', curve)),
        bound: 0.9,
      })),
    ),
    ...handlerCases().map((c) => ({ target: `${handlerLabel(c)} handler: calls not answered 200`, value: handlerRun(handlers, c.shape, c.mode, c.curve)?.failedCalls, bound: 0, atMost: true })),
    ...BENCH_CURVES.flatMap((curve) => [
      { target: `client seal + open per request, within a session / v1, pure-JS fallback (noble) ${curve}`, value: m(sessionClient(curve), BENCH.sessionNoble, BENCH.v1Noble), bound: 10 },
      { target: `client seal + open per request, within a session / v1, default backend ${curve}, reported`, value: m(sessionClient(curve), BENCH.sessionDefault, BENCH.v1Default), bound: 0, extra: true },
      { target: `server open per request, within a session / v1 ${curve}, reported`, value: m(sessionServer(curve), BENCH.sessionDefault, BENCH.v1Default), bound: 0, extra: true },
      { target: `Chromium, WebCrypto: client seal + open per request, within a session / v1 ${curve}`, value: browserRatio(browser, curve, 'webcrypto'), bound: 3 },
      { target: `Chromium, pure-JS fallback (noble): client seal + open per request, within a session / v1 ${curve}, reported`, value: browserRatio(browser, curve, 'noble'), bound: 0, extra: true },
    ]),
    { target: 'openRequest X25519 1 MiB / sum of parts', value: m(open('X25519', '1 MiB'), BENCH.openNode, BENCH.sumOfParts), bound: 0.7 },
    { target: 'openRequest P-256 1 MiB / sum of parts', value: m(open('P-256', '1 MiB'), BENCH.openNode, BENCH.sumOfParts), bound: 0.7 },
    { target: 'MemoryReplayStore bytes per entry (heap + ArrayBuffers)', value: store?.heapBytesPerEntry, bound: 24, atMost: true },
    ...(['download', 'upload'] as const).flatMap((path) => [
      { target: `sealed stream ${path} / AES-256-GCM alone (MB/s)`, value: streams?.ratios[path], bound: 0.8 },
      { target: `sealed stream ${path}: RSS growth (MiB)`, value: streams === undefined ? undefined : streams[path].rssGrowth / 2 ** 20, bound: 64, atMost: true },
    ]),
    {
      target: `default capacity (${DEFAULT_MEMORY_REPLAY_MAX_ENTRIES}) / (highest sealed accept rate × ${DEFAULT_REPLAY_TTL_SECONDS} s)`,
      value: ratio(DEFAULT_MEMORY_REPLAY_MAX_ENTRIES, acceptRate === undefined ? undefined : acceptRate * DEFAULT_REPLAY_TTL_SECONDS),
      bound: 4,
    },
  ]
  return targets
}

const browserRatio = (browser: BrowserRun, curve: Curve, backend: PageBenchRow['backend']) => browser?.rows.find((r) => r.curve === curve && r.backend === backend)?.ratio

const verdict = (t: Target) => {
  if (t.value === undefined || Number.isNaN(t.value)) return 'not measured'
  if (t.extra === true) return 'reported'
  return (t.atMost === true ? t.value <= t.bound : t.value >= t.bound) ? 'met' : 'NOT met'
}

const startedAt = new Date().toISOString()
const micro = parts.includes('micro') ? runMicro() : undefined
const http = parts.includes('http') ? await runHttp() : undefined
const handlers = parts.includes('handlers') ? await runHandlers() : undefined
const store = parts.includes('store') ? await runStore(Number(args['store-entries'])) : undefined
const streams = parts.includes('streams') ? await runStreams(Number(args['stream-mib']), rounds) : undefined
const browser = parts.includes('browser') ? await runBrowser({ rounds: Number(args['browser-rounds']), roundMs: Number(args['browser-ms']) }) : undefined
const targets = targetsOf(micro, http, handlers, store, browser, streams).map((t) => ({ ...t, verdict: verdict(t) }))

const fixed = (n: number | undefined, digits = 0) => (n === undefined ? '-' : n.toFixed(digits))
const times = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(2)}×`)
/** `0.93× (≥ 0.9: met)`, the ratio with its target's verdict. */
const judged = (prefix: string) => {
  const t = targets.find((x) => x.target.startsWith(prefix))
  if (t === undefined) return '-'
  return t.extra === true ? `${times(t.value)} (${t.verdict})` : `${times(t.value)} (${t.atMost === true ? '≤' : '≥'} ${t.bound}: ${t.verdict})`
}

if (http !== undefined) {
  console.log(`\nHTTP, 1 KiB POST /echo, median of ${rounds} round(s): req/s; the server's CPU per request (and what it adds over plain); heap bytes it allocated per request`)
  for (const framework of frameworks) {
    const plain = httpRun(http, framework, 'plain')
    const row = (label: string, r: typeof plain) => {
      const added = r === plain || r?.serverCpuMicrosPerRequest === undefined || plain?.serverCpuMicrosPerRequest === undefined ? '' : ` (+${(r.serverCpuMicrosPerRequest - plain.serverCpuMicrosPerRequest).toFixed(0)})`
      return (
        `    ${label.padEnd(9)} ${fixed(r?.requestsPerSecond).padStart(7)} req/s   CPU ${`${fixed(r?.serverCpuMicrosPerRequest)} µs/req${added}`.padEnd(20)}   heap ${fixed(r?.serverHeapBytesPerRequest).padStart(7)} B/req` +
        `   non-2xx ${fixed(r?.non2xx)}  errors ${fixed(r?.errors)}  timeouts ${fixed(r?.timeouts)}`
      )
    }
    console.log(`  ${FRAMEWORK_NAME[framework]}\n${row('plain', plain)}`)
    for (const curve of curves) {
      const name = `${FRAMEWORK_NAME[framework]} + Sealwire ${curve}`
      const sessions = httpRun(http, framework, 'sessions', curve)
      console.log(`  ${FRAMEWORK_NAME[framework]} ${curve}\n${row('floor', httpRun(http, framework, 'floor', curve))}\n${row('Sealwire', httpRun(http, framework, 'sealwire', curve))}`)
      if (sessions !== undefined) console.log(row('sessions', sessions))
      console.log(
        `    Sealwire/floor ${judged(`${name} / ${FRAMEWORK_NAME[framework]} floor ${curve} (req/s)`)} req/s, ${judged(`${name} / ${FRAMEWORK_NAME[framework]} floor ${curve} (heap`)} heap bytes;` +
          ` Sealwire/plain ${times(ratio(httpRun(http, framework, 'sealwire', curve)?.requestsPerSecond, plain?.requestsPerSecond))} req/s;` +
          ` median round against median round ${times(ratio(httpRun(http, framework, 'sealwire', curve)?.requestsPerSecond, httpRun(http, framework, 'floor', curve)?.requestsPerSecond))} req/s`,
      )
      if (sessions !== undefined) {
        console.log(
          `    sessions/plain ${judged(`${FRAMEWORK_NAME[framework]} + Sealwire sessions ${curve} / plain`)} req/s; server CPU added within a session / v1 ${judged(`${FRAMEWORK_NAME[framework]} + Sealwire sessions ${curve}: server CPU`)};` +
            ` opened within the session ${sessions.serverSessionHits} of ${sessions.requests}, sessions made during the run ${sessions.serverSessionsEstablished}`,
        )
      }
    }
  }
}
if (handlers !== undefined) {
  console.log(`\nHandlers without a network, awaited calls in a loop, median of ${rounds} round(s): calls/s; CPU per call; heap bytes allocated per call`)
  for (const shape of HANDLER_SHAPES) {
    for (const curve of curves) {
      const row = (label: string, h: HandlerCase | undefined) =>
        `    ${label.padEnd(9)} ${fixed(h?.run.callsPerSecond).padStart(7)} calls/s   CPU ${`${fixed(h?.run.cpuMicrosPerCall)} µs/call`.padEnd(12)}   heap ${fixed(h?.run.heapBytesPerCall).padStart(7)} B/call   not 200: ${fixed(h?.failedCalls)}`
      const floor = handlerRun(handlers, shape, 'floor', curve)
      const sealwire = handlerRun(handlers, shape, 'sealwire', curve)
      console.log(`  ${SHAPE_NAME[shape]} ${curve}\n${row('floor', floor)}\n${row('Sealwire', sealwire)}`)
      console.log(
        `    Sealwire/floor ${judged(`${SHAPE_NAME[shape]} + Sealwire ${curve} / floor`)} calls/s, ${times(ratio(sealwire?.run.heapBytesPerCall, floor?.run.heapBytesPerCall))} heap bytes; median round against median round ${times(ratio(sealwire?.run.callsPerSecond, floor?.run.callsPerSecond))} calls/s`,
      )
    }
  }
}
if (store !== undefined) console.log(`\nMemoryReplayStore: ${store.entries} jtis, ${store.heapBytesPerEntry.toFixed(1)} B per entry (heap + ArrayBuffers), ${store.reportedBytesPerEntry.toFixed(1)} B by its byteLength`)
if (browser !== undefined) {
  console.log(`\nChromium (${browser.userAgent}), in the page, no network: client seal + open per request, 1 KiB, median of ${args['browser-rounds']} round(s) of ${args['browser-ms']} ms`)
  for (const r of browser.rows) {
    const name = r.backend === 'webcrypto' ? 'WebCrypto' : 'pure-JS fallback (noble)'
    const verdictOf = judged(`Chromium, ${name}: client seal + open per request, within a session / v1 ${r.curve}`)
    console.log(`  ${r.curve.padEnd(7)} ${name.padEnd(24)} v1 ${fixed(r.v1).padStart(6)} ops/s   within a session ${fixed(r.session).padStart(6)} ops/s   ${verdictOf}`)
  }
}
if (streams !== undefined) {
  const line = (name: string, r: StreamBenchResult['ceiling']) => `  ${name.padEnd(34)} ${r.mbPerSecond.toFixed(0).padStart(6)} MB/s, RSS +${(r.rssGrowth / 2 ** 20).toFixed(1)} MiB`
  console.log(`\nSealed streams, ${streams.mib} MiB in 64 KiB chunks, sealed and opened in one process, median of ${streams.rounds} round(s); largest RSS growth`)
  console.log(line('AES-256-GCM alone (the ceiling)', streams.ceiling))
  console.log(`${line('download (web streams)', streams.download)}: ${times(streams.ratios.download)}`)
  console.log(`${line('upload (writer.write → reader.feed)', streams.upload)}: ${times(streams.ratios.upload)}`)
}
console.log('\nTargets')
for (const t of targets) console.log(`  ${t.verdict.padEnd(12)} ${t.target}: ${t.value === undefined || Number.isNaN(t.value) ? '-' : t.value.toFixed(2)}${t.extra === true ? '' : ` (${t.atMost === true ? '≤' : '≥'} ${t.bound})`}`)

const report = {
  startedAt,
  finishedAt: new Date().toISOString(),
  machine: { node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length, cpuModel: cpus()[0]?.model },
  options: { parts, frameworks, curves, modes, browserRounds: Number(args['browser-rounds']), browserMs: Number(args['browser-ms']), durationSeconds: Number(args.duration), warmupSeconds: Number(args.warmup), connections: Number(args.connections), rounds, handlerSeconds: Number(args['handler-duration']) },
  micro: micro ?? null,
  // A plain server's curve is null (JSON has no undefined).
  http: http?.map((h) => ({ ...h, curve: h.curve ?? null })) ?? null,
  handlers: handlers ?? null,
  store: store ?? null,
  browser: browser ?? null,
  streams: streams ?? null,
  targets,
}
mkdirSync(dirname(resolve(args.json)), { recursive: true })
writeFileSync(resolve(args.json), `${JSON.stringify(report, null, 2)}\n`)
console.log(`\nwritten: ${resolve(args.json)}`)
