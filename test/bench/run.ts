/**
 * `npx -y pnpm@10 bench`: the whole benchmark in one run, side by side —
 *   1. the protocol micro-benchmarks (protocol.bench.ts, through `vitest bench`), in
 *      rounds (3 by default), each target the median of its per-round ratios;
 *   2. HTTP over loopback (autocannon, 50 connections): plain Express, Fastify
 *      and Hono (@hono/node-server) against the same with Sealwire, and Express
 *      with Sealwire's cryptography alone (the ceiling any middleware of the
 *      protocol can reach), in rounds (5 by default, 3 s each), each case's median round reported;
 *   3. the memory replay store's bytes per remembered jti;
 * then writes the run as JSON (bench-results/latest.json) and prints each
 * target ratio of issue 8, met or NOT met. Ratios, not absolute claims.
 *
 *   npx -y pnpm@10 bench
 *   npx -y pnpm@10 bench -- --duration 10 --json out.json
 *   npx -y pnpm@10 bench -- --only http --frameworks express --duration 1 --warmup 0.5   (a quick check)
 *
 * Bundled by tsup (test/bench/tsup.config.ts), run with `--expose-gc`.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { DEFAULT_MEMORY_REPLAY_MAX_ENTRIES, DEFAULT_REPLAY_TTL_SECONDS, MemoryReplayStore, type Curve } from '@sealwire/core'

import { FRAMEWORKS, type Framework } from './http/contract.js'
import { HTTP_CASES, benchServer, type HttpCase, type HttpCaseSpec } from './http/load.js'
import { BENCH, GROUP, ROUND_OF_GROUP } from './micro-names.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../../..')

const argv = process.argv.slice(2)
const { values: args } = parseArgs({
  // pnpm 10 passes the `--` of `pnpm bench -- --duration 10` through.
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    only: { type: 'string' }, // micro | http | store
    frameworks: { type: 'string', default: FRAMEWORKS.join(',') },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    // HTTP rounds: every case once per round, plain and sealed back to back; medians reported.
    rounds: { type: 'string', default: '5' },
    // Micro-benchmark rounds: the whole set again; each target is its median per-round ratio.
    'micro-rounds': { type: 'string', default: '3' },
    // Milliseconds each micro-benchmark runs per round (a short one for the bench's own test).
    'micro-time': { type: 'string', default: '500' },
    'store-entries': { type: 'string', default: '1000000' },
    json: { type: 'string', default: join(root, 'bench-results', 'latest.json') },
  },
})
const parts = args.only === undefined ? ['micro', 'http', 'store'] : args.only.split(',')
const frameworks = args.frameworks.split(',') as Framework[]
for (const f of frameworks) if (!FRAMEWORKS.includes(f)) throw new Error(`unknown framework ${f} (${FRAMEWORKS.join(', ')})`)

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

async function runHttp(): Promise<HttpCase[]> {
  const options = {
    serverScript: join(here, 'server.js'),
    connections: Number(args.connections),
    warmupSeconds: Number(args.warmup),
    durationSeconds: Number(args.duration),
  }
  const cases = HTTP_CASES.filter((c) => frameworks.includes(c.framework))
  const byCase = cases.map(() => [] as HttpCase[])
  // Rounds, not one long run: this VM's speed drifts by up to 2× over minutes; running
  // every case in each round and taking each case's median keeps one slow stretch from
  // landing on only the plain or only the sealed side of a ratio.
  // Odd rounds run the cases in order, even rounds in reverse: a drift within a round then
  // favours no case by its place in the list (plain first, crypto-only late).
  for (let round = 1; round <= Number(args.rounds); round++) {
    const order = [...cases.entries()]
    if (round % 2 === 0) order.reverse()
    for (const [i, c] of order) {
      const result = await benchServer(options, c)
      const r = result.run
      console.log(`http round ${round} ${caseLabel(c)}: ${r.requestsPerSecond.toFixed(0)} req/s, server CPU ${r.serverCpuMicrosPerRequest?.toFixed(0)} µs/req, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}`)
      if (r.stoppedEarly === true) console.log(`  (the envelope pool ran short: this run stopped after ${r.requests} requests)`)
      byCase[i]!.push(result)
    }
  }
  return byCase.map(medianCase)
}

/**
 * One case over its rounds: the round with the median req/s stands for it
 * (its own CPU figure with it), the others are kept under `rounds`; errors and
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

/** `express plain`, `express + Sealwire X25519`, `express + crypto alone X25519`. */
const caseLabel = (c: HttpCaseSpec) =>
  `${c.framework} ${c.curve === undefined ? 'plain' : `+ ${c.cryptoOnly === true ? 'crypto alone' : 'Sealwire'} ${c.curve}`}`

/** The middle item by `key` (the lower of the two middle ones for an even count); undefined for none. */
function medianBy<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor((items.length - 1) / 2)]
}

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b)

interface Target {
  target: string
  value: number | undefined
  /** The bound and its direction. */
  bound: number
  atMost?: boolean
  extra?: boolean
}

function targetsOf(micro: Micro | undefined, http: HttpCase[] | undefined, store: Awaited<ReturnType<typeof runStore>> | undefined): Target[] {
  // The median over rounds of a/b, each round's pair measured next to each other.
  const m = (group: string, a: string, b: string) => {
    const x = micro?.[`${group} > ${a}`]
    const y = micro?.[`${group} > ${b}`]
    if (x === undefined || y === undefined) return undefined
    return medianBy(x.flatMap((v, i) => (y[i] === undefined ? [] : [v / y[i]!])), (r) => r)
  }
  const { open, seal } = GROUP
  const runOf = (c: HttpCaseSpec) => http?.find((h) => h.framework === c.framework && h.curve === c.curve && h.cryptoOnly === c.cryptoOnly)?.run
  const httpRatio = (framework: Framework, curve: Curve, cryptoOnly?: true) => ratio(runOf({ framework, curve, cryptoOnly })?.requestsPerSecond, runOf({ framework, curve: undefined })?.requestsPerSecond)
  const clean = (c: HttpCaseSpec) => {
    const r = runOf(c)
    return r === undefined ? undefined : r.errors + r.non2xx + r.timeouts
  }
  const sealedRates = (http ?? []).filter((h) => h.curve !== undefined && h.cryptoOnly === undefined).map((h) => h.run.requestsPerSecond)
  const acceptRate = sealedRates.length === 0 ? undefined : Math.max(...sealedRates)
  const targets: Target[] = [
    { target: 'openRequest X25519 1 KiB / jose compactDecrypt', value: m(open('X25519', '1 KiB'), BENCH.openNode, BENCH.joseDecrypt), bound: 4 },
    { target: 'openRequest X25519 1 KiB / native key agreement', value: m(open('X25519', '1 KiB'), BENCH.openNode, BENCH.agreement), bound: 0.4 },
    { target: 'openRequest P-256 1 KiB / jose compactDecrypt', value: m(open('P-256', '1 KiB'), BENCH.openNode, BENCH.joseDecrypt), bound: 3 },
    { target: 'sealRequest X25519 1 KiB / jose CompactEncrypt', value: m(seal('X25519', '1 KiB'), BENCH.sealNode, BENCH.joseEncrypt), bound: 3 },
    { target: 'sealRequest P-256 1 KiB / jose CompactEncrypt', value: m(seal('P-256', '1 KiB'), BENCH.sealNode, BENCH.joseEncrypt), bound: 3 },
    { target: 'Express + Sealwire X25519 / plain Express (req/s)', value: httpRatio('express', 'X25519'), bound: 0.7 },
    { target: 'Express + Sealwire P-256 / plain Express (req/s)', value: httpRatio('express', 'P-256'), bound: 0.6 },
    { target: 'Express + Sealwire crypto alone X25519 / plain Express (req/s), the ceiling, reported', value: httpRatio('express', 'X25519', true), bound: 0, extra: true },
    { target: 'Express + Sealwire crypto alone P-256 / plain Express (req/s), the ceiling, reported', value: httpRatio('express', 'P-256', true), bound: 0, extra: true },
    ...HTTP_CASES.filter((c) => c.curve !== undefined).map((c) => ({ target: `${caseLabel(c)}: errors + non-2xx + timeouts`, value: clean(c), bound: 0, atMost: true })),
    { target: 'Fastify + Sealwire X25519 / plain Fastify (req/s), reported', value: httpRatio('fastify', 'X25519'), bound: 0, extra: true },
    { target: 'Hono + withSealwire X25519 / plain Hono (req/s), reported', value: httpRatio('hono', 'X25519'), bound: 0, extra: true },
    { target: 'openRequest X25519 1 MiB / sum of parts', value: m(open('X25519', '1 MiB'), BENCH.openNode, BENCH.sumOfParts), bound: 0.7 },
    { target: 'openRequest P-256 1 MiB / sum of parts', value: m(open('P-256', '1 MiB'), BENCH.openNode, BENCH.sumOfParts), bound: 0.7 },
    { target: 'MemoryReplayStore bytes per entry (heap + ArrayBuffers)', value: store?.heapBytesPerEntry, bound: 24, atMost: true },
    {
      target: `default capacity (${DEFAULT_MEMORY_REPLAY_MAX_ENTRIES}) / (highest sealed accept rate × ${DEFAULT_REPLAY_TTL_SECONDS} s)`,
      value: ratio(DEFAULT_MEMORY_REPLAY_MAX_ENTRIES, acceptRate === undefined ? undefined : acceptRate * DEFAULT_REPLAY_TTL_SECONDS),
      bound: 4,
    },
  ]
  return targets
}

const verdict = (t: Target) => {
  if (t.value === undefined || Number.isNaN(t.value)) return 'not measured'
  if (t.extra === true) return 'reported'
  return (t.atMost === true ? t.value <= t.bound : t.value >= t.bound) ? 'met' : 'NOT met'
}

const startedAt = new Date().toISOString()
const micro = parts.includes('micro') ? runMicro() : undefined
const http = parts.includes('http') ? await runHttp() : undefined
const store = parts.includes('store') ? await runStore(Number(args['store-entries'])) : undefined
const targets = targetsOf(micro, http, store).map((t) => ({ ...t, verdict: verdict(t) }))

console.log(`\nHTTP, median of ${args.rounds} round(s) (req/s, ratio to the plain server of the same framework; server CPU per request, and what Sealwire adds to it)`)
for (const h of http ?? []) {
  const plain = http!.find((p) => p.framework === h.framework && p.curve === undefined)
  const r = ratio(h.run.requestsPerSecond, plain?.run.requestsPerSecond)
  const cpu = h.run.serverCpuMicrosPerRequest
  const added = cpu === undefined || plain?.run.serverCpuMicrosPerRequest === undefined || h.curve === undefined ? '' : ` (+${(cpu - plain.run.serverCpuMicrosPerRequest).toFixed(0)})`
  console.log(
    `  ${caseLabel(h).padEnd(34)} ${h.run.requestsPerSecond.toFixed(0).padStart(7)} req/s  ${h.curve === undefined || r === undefined ? '      ' : `${r.toFixed(2)}×`.padStart(6)}` +
      `  server CPU ${cpu === undefined ? '-' : cpu.toFixed(0)} µs/req${added}  non-2xx ${h.run.non2xx}  errors ${h.run.errors}  timeouts ${h.run.timeouts}`,
  )
}
if (store !== undefined) console.log(`\nMemoryReplayStore: ${store.entries} jtis, ${store.heapBytesPerEntry.toFixed(1)} B per entry (heap + ArrayBuffers), ${store.reportedBytesPerEntry.toFixed(1)} B by its byteLength`)
console.log('\nTargets (issue 8)')
for (const t of targets) console.log(`  ${t.verdict.padEnd(12)} ${t.target}: ${t.value === undefined || Number.isNaN(t.value) ? '-' : t.value.toFixed(2)}${t.extra === true ? '' : ` (${t.atMost === true ? '≤' : '≥'} ${t.bound})`}`)

const report = {
  startedAt,
  finishedAt: new Date().toISOString(),
  machine: { node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length, cpuModel: cpus()[0]?.model },
  options: { parts, frameworks, durationSeconds: Number(args.duration), warmupSeconds: Number(args.warmup), connections: Number(args.connections), rounds: Number(args.rounds) },
  micro: micro ?? null,
  // A plain server's curve is null (JSON has no undefined).
  http: http?.map((h) => ({ ...h, curve: h.curve ?? null })) ?? null,
  store: store ?? null,
  targets,
}
mkdirSync(dirname(resolve(args.json)), { recursive: true })
writeFileSync(resolve(args.json), `${JSON.stringify(report, null, 2)}\n`)
console.log(`\nwritten: ${resolve(args.json)}`)
