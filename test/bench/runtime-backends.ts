/**
 * Both crypto backends side by side in Bun or Deno, each named explicitly: per
 * curve and operation (1 KiB body), the ops/s of the Node-native backend and
 * of jose/WebCrypto and their ratio, by wall time and by CPU time (the
 * process's, every thread: WebCrypto may work off the main one). Rounds
 * alternate the two backends and the median is kept. On a shared machine the
 * wall figures swing with other load; the CPU figures are what a busy server
 * pays, and they chose the `bun` and `deno` branches of core's `#platform` map
 * (README, "Bun and Deno"). Which branch a runtime actually gets is pinned by
 * test/runtimes/backends.test.ts, from an installed package (run here, Bun
 * follows the repository's tsconfig `paths` to the sources; Deno loads the
 * built dist: `npx -y pnpm@10 build` first).
 *
 *   cd test && node_modules/.bin/bun bench/runtime-backends.ts
 *   cd test && node_modules/.bin/deno run --allow-env=ROUNDS,ROUND_MS,CONCURRENCY bench/runtime-backends.ts
 *
 * ROUNDS (7), ROUND_MS (250) and CONCURRENCY (1) in the environment change the
 * rounds and how many operations are in flight at once.
 */
import {
  KeyRing,
  generateKeyPair,
  importRecipientKey,
  joseBackend,
  openRequest,
  openResponse,
  sealRequest,
  sealResponse,
  type CryptoBackend,
  type ReplayStore,
} from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'

const runtime = 'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node'
/** Rounds per backend and operation, and the time each round runs for. */
const ROUNDS = Number(globalThis.process?.env.ROUNDS ?? 7)
const ROUND_MS = Number(globalThis.process?.env.ROUND_MS ?? 250)
/** Operations in flight at once, as on a busy server (1: one after the other); WebCrypto may then spread over threads. */
const CONCURRENCY = Number(globalThis.process?.env.CONCURRENCY ?? 1)

// Measures the protocol, not a store: every jti is new.
const alwaysFresh: ReplayStore = { checkAndSet: async () => true }
const request = { method: 'POST', target: '/api/transfer' }
const body = { to: 'alice', amount: 42, memo: 'x'.repeat(1024 - 40) }

/** The process's CPU time in ms, every thread (WebCrypto may work off the main one), where the runtime tells it. */
const cpuMs = (): number => {
  const usage = globalThis.process?.cpuUsage?.()
  return usage === undefined ? Number.NaN : (usage.user + usage.system) / 1000
}

/** Ops per second of wall time and per second of CPU time of `op`, over one round of ROUND_MS. */
async function round(op: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  let count = 0
  const start = performance.now()
  const cpuStart = cpuMs()
  let elapsed = 0
  while (elapsed < ROUND_MS) {
    if (CONCURRENCY === 1) for (let i = 0; i < 16; i++) await op()
    else await Promise.all(Array.from({ length: CONCURRENCY }, op))
    count += CONCURRENCY === 1 ? 16 : CONCURRENCY
    elapsed = performance.now() - start
  }
  return { wall: (count * 1000) / elapsed, cpu: (count * 1000) / (cpuMs() - cpuStart) }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Median ops/s of each backend, rounds alternating so drifting load hits both alike. */
async function compare(ops: Record<'node' | 'jose', () => Promise<unknown>>) {
  for (const op of Object.values(ops)) for (let i = 0; i < 200; i++) await op() // warm-up: JIT, key caches
  const rounds = { node: [] as { wall: number; cpu: number }[], jose: [] as { wall: number; cpu: number }[] }
  for (let r = 0; r < ROUNDS; r++) {
    rounds.node.push(await round(ops.node))
    rounds.jose.push(await round(ops.jose))
  }
  const of = (backend: 'node' | 'jose', clock: 'wall' | 'cpu') => median(rounds[backend].map((r) => r[clock]))
  return { node: of('node', 'wall'), jose: of('jose', 'wall'), nodeCpu: of('node', 'cpu'), joseCpu: of('jose', 'cpu') }
}

const rows: { curve: string; op: string; node: number; jose: number; ratio: number; cpuRatio: number }[] = []
for (const curve of ['X25519', 'P-256'] as const) {
  const { privateJwk, publicJwk } = await generateKeyPair(curve)
  const setup = async (backend: CryptoBackend) => {
    const keyRing = await KeyRing.from([privateJwk], { backend })
    const recipient = await importRecipientKey(publicJwk, backend)
    const sealed = await sealRequest({ recipient, request, body })
    const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore: alwaysFresh })
    const responseBody = JSON.stringify(body)
    const response = await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: responseBody, backend })
    const clock = () => opened.claims.iat * 1000
    return {
      openRequest: () => openRequest(sealed.envelope, { keyRing, request, replayStore: alwaysFresh, clock }),
      sealRequest: () => sealRequest({ recipient, request, body }),
      sealResponse: () => sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: responseBody, backend }),
      openResponse: () => openResponse(response, { reply: sealed.reply, status: 200, backend }),
    }
  }
  const node = await setup(nodeBackend)
  const jose = await setup(joseBackend)
  for (const op of ['openRequest', 'sealRequest', 'sealResponse', 'openResponse'] as const) {
    const rates = await compare({ node: node[op], jose: jose[op] })
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2))
    rows.push({ curve, op, node: Math.round(rates.node), jose: Math.round(rates.jose), ratio: ratio(rates.node, rates.jose), cpuRatio: ratio(rates.nodeCpu, rates.joseCpu) })
  }
}

console.log(`${runtime}: 1 KiB, ${CONCURRENCY} in flight, ops/s (median of ${ROUNDS} rounds of ${ROUND_MS} ms), native / jose, by wall and by CPU time`)
for (const row of rows) {
  const cells = [`native ${String(row.node).padStart(7)}`, `jose ${String(row.jose).padStart(7)}`, `${row.ratio.toFixed(2)}×`, `CPU ${row.cpuRatio.toFixed(2)}×`]
  console.log(`  ${row.curve.padEnd(7)} ${row.op.padEnd(13)} ${cells.join('  ')}`)
}
console.log(JSON.stringify({ runtime, concurrency: CONCURRENCY, rows }))
