/**
 * The sessions micro-benchmark in a browser page (bundled for the browser by
 * test/bench/tsup.config.ts, so core runs its portable WebCrypto build): per
 * curve, the client's seal + open per request within a session against v1, on
 * WebCrypto (jose, what a browser client uses) and on the pure-JS fallback
 * (noble). The same setup as the Node micro-benchmark (session-micro.ts); no
 * network, the server's side of the establishment runs in the page too.
 *
 * Exposes `globalThis.sealwireSessionBench(options)`; run.ts calls it in Chromium.
 */
import { decodeProtectedHeader, defaultBackend } from '@sealwire/core'
import { medianBy } from '../median.js'
import { prepareSessions } from '../session-micro.js'

export interface PageBenchOptions {
  /** Alternating rounds of v1 and session; each ratio is the median of the rounds'. */
  rounds: number
  /** Milliseconds each side of a round runs for. */
  roundMs: number
}

/** One curve and backend: ops/s (medians over the rounds) and the median per-round ratio session / v1. */
export interface PageBenchRow {
  curve: 'X25519' | 'P-256'
  backend: 'webcrypto' | 'noble'
  v1: number
  session: number
  ratio: number
  rounds: { v1: number; session: number }[]
}

const median = (values: number[]) => medianBy(values, (v) => v)!

/**
 * A full collection before each side's run (run.ts starts Chromium with
 * `--js-flags=--expose-gc`), as protocol.bench.ts does on Node: each side
 * measures its own garbage, not what the one before it left (v1 leaves a
 * CryptoKey or two per request).
 */
const gc = (globalThis as { gc?: () => void }).gc

/** Operations per second of `op` over `ms`, awaited one after the other, in batches of 8 between clock reads. */
async function rate(op: () => Promise<void>, ms: number): Promise<number> {
  gc?.()
  let count = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let i = 0; i < 8; i++) await op()
    count += 8
    elapsed = performance.now() - start
  }
  return (count * 1000) / elapsed
}

async function measure(options: PageBenchOptions): Promise<{ userAgent: string; backend: string; rows: PageBenchRow[] }> {
  // The portable build: WebCrypto through jose. A Node build here would measure the wrong thing.
  if (defaultBackend.name !== 'jose') throw new Error(`the page bundle carries the ${defaultBackend.name} backend, not jose over WebCrypto`)
  const rows: PageBenchRow[] = []
  for (const curve of ['X25519', 'P-256'] as const) {
    const s = await prepareSessions(curve)
    // What is timed must be within the session: `dir` under its sid, no ephemeral key.
    const header = decodeProtectedHeader(s.sessionEnvelope)
    if (header.alg !== 'dir' || typeof header.sid !== 'string' || 'epk' in header) throw new Error('the session envelope is not sealed within a session')
    await s.serverOpen(true)()
    for (const [backend, name] of [['default', 'webcrypto'], ['noble', 'noble']] as const) {
      const v1 = s.clientRequest(backend, false)
      const within = s.clientRequest(backend, true)
      // Warm-up: JIT, WebCrypto's first calls. A round's worth of each, not a few calls: the first
      // measured round otherwise ran both sides before V8 had optimized them, at half their later rate.
      await rate(v1, options.roundMs)
      await rate(within, options.roundMs)
      const rounds: { v1: number; session: number }[] = []
      for (let r = 0; r < options.rounds; r++) {
        // Alternating which side runs first, so a drift within a round favours neither.
        if (r % 2 === 0) rounds.push({ v1: await rate(v1, options.roundMs), session: await rate(within, options.roundMs) })
        else {
          const session = await rate(within, options.roundMs)
          rounds.push({ v1: await rate(v1, options.roundMs), session })
        }
      }
      rows.push({
        curve,
        backend: name,
        v1: median(rounds.map((x) => x.v1)),
        session: median(rounds.map((x) => x.session)),
        ratio: median(rounds.map((x) => x.session / x.v1)),
        rounds,
      })
    }
  }
  return { userAgent: navigator.userAgent, backend: defaultBackend.name, rows }
}

;(globalThis as { sealwireSessionBench?: typeof measure }).sealwireSessionBench = measure
