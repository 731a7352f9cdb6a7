/**
 * The benchmark's structure and correctness, not its timings (the machine is
 * noisy; figures come from `pnpm bench`): a very short run of the HTTP part on
 * one framework and of the replay store part, through the same command.
 */
import { spawnSync } from 'node:child_process'
import type { JsonWebKey } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeProtectedHeader, generateKeyPair, importRecipientKey, openResponse, sealRequest, type Curve } from '@sealwire/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH } from '../helpers/chromium.js'
import { floorFetch, floorLambda } from './handlers/floor-handlers.js'
import { echoEvent, echoRequest, type HandlerRun } from './handlers/handler-bench.js'
import { BENCH_ROUTE, FRAMEWORKS } from './http/contract.js'
import { BENCH_CURVES, BODY_1KIB, establishBenchSession, sealPool, startServer, stopServer, type HttpRun } from './http/load.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('pnpm bench (a short run: HTTP on Fastify, the handlers, the replay store, X25519)', () => {
  it('answers every request 2xx (no envelope resent: a replay is a 409), and writes every field and target', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-bench-test-'))
    try {
      const json = join(dir, 'bench.json')
      const args = ['--only', 'http,handlers,store', '--frameworks', 'fastify', '--curves', 'X25519', '--duration', '1', '--warmup', '0.3', '--connections', '10', '--rounds', '2', '--handler-duration', '0.3', '--store-entries', '1000000', '--json', json]
      const run = spawnSync('npx', ['-y', 'pnpm@10', 'bench', '--', ...args], { cwd: root, encoding: 'utf8', timeout: 150_000 })
      const output = `${run.stdout}\n${run.stderr}`
      expect(run.status, output).toBe(0)
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        machine: { node: string; cpus: number }
        options: { connections: number; curves: string[] }
        micro: null
        http: { framework: string; mode: string; curve: string | null; warmup: HttpRun; run: HttpRun; rounds: HttpRun[] }[]
        handlers: { shape: string; mode: string; curve: string; run: HandlerRun; rounds: HandlerRun[]; failedCalls: number }[]
        store: { entries: number; refused: number; live: number; heapBytesPerEntry: number; reportedBytesPerEntry: number }
        targets: { target: string; verdict: string }[]
      }
      expect(report.machine.node).toBe(process.version)
      expect(report.options).toMatchObject({ connections: 10, curves: ['X25519'] })
      expect(report.micro).toBeNull()
      expect(report.http.map((h) => [h.framework, h.mode, h.curve])).toEqual([
        ['fastify', 'plain', null],
        ['fastify', 'floor', 'X25519'],
        ['fastify', 'sealwire', 'X25519'],
        ['fastify', 'sessions', 'X25519'],
      ])
      for (const h of report.http) {
        // The measured run carries the server's CPU and heap allocation per request (the warm-up does not).
        expect(h.run.serverCpuMicrosPerRequest, output).toBeGreaterThan(0)
        expect(h.run.serverHeapBytesPerRequest, output).toBeGreaterThan(0)
        // Two rounds, the reported run being one of them (the median by req/s).
        expect(h.rounds).toHaveLength(2)
        expect(h.rounds.map((r) => r.requestsPerSecond)).toContain(h.run.requestsPerSecond)
        expect(h.warmup.serverCpuMicrosPerRequest).toBeUndefined()
        for (const r of [h.warmup, h.run]) {
          expect(r.requests, output).toBeGreaterThan(0)
          // 100 % 2xx: with Sealwire, a resent envelope would be refused (409) and an expired one too (401).
          expect({ ok: r.ok, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts }, output).toEqual({ ok: r.requests, non2xx: 0, errors: 0, timeouts: 0 })
          expect(r.requestsPerSecond).toBeGreaterThan(0)
          if (h.curve !== null) {
            // Each request took the next envelope of a pool sealed for this run: never more than the pool.
            expect(r.envelopesTaken).toBeGreaterThanOrEqual(r.requests)
            expect(r.envelopesTaken).toBeLessThanOrEqual(r.envelopesSealed!)
          } else {
            expect(r.envelopesSealed).toBeUndefined()
          }
        }
        if (h.mode === 'sessions') {
          // Within the session, every one: the server found the session for each request it opened (those
          // still in flight when autocannon stopped counting included, one per connection at most), and
          // made none during the run — so it did no key agreement for them.
          expect(h.run.serverSessionHits, output).toBeGreaterThanOrEqual(h.run.ok)
          expect(h.run.serverSessionHits, output).toBeLessThanOrEqual(h.run.ok + 10)
          expect(h.run.serverSessionsEstablished, output).toBe(0)
        } else {
          expect(h.run.serverSessionHits).toBeUndefined()
        }
      }
      // Each adapter against its floor, every call answered 200 (a refused call would be cheap and flatter the ratio).
      expect(report.handlers.map((h) => [h.shape, h.mode, h.curve])).toEqual([
        ['lambda', 'floor', 'X25519'],
        ['lambda', 'sealwire', 'X25519'],
        ['fetch', 'floor', 'X25519'],
        ['fetch', 'sealwire', 'X25519'],
      ])
      for (const h of report.handlers) {
        expect(h.rounds).toHaveLength(2)
        expect(h.failedCalls, output).toBe(0)
        expect(h.run.calls).toBeGreaterThan(0)
        expect(h.run.ok).toBe(h.run.calls)
        expect(h.run.cpuMicrosPerCall).toBeGreaterThan(0)
        expect(h.run.heapBytesPerCall).toBeGreaterThan(0)
      }
      // A million entries: with 20 000, GC noise in the heap delta (a few MB) could make it negative.
      expect(report.store).toMatchObject({ entries: 1_000_000, refused: 0, live: 1_000_000 })
      expect(report.store.heapBytesPerEntry).toBeGreaterThan(0)
      expect(report.store.reportedBytesPerEntry).toBeGreaterThan(0)
      // Every target is listed; what was not run is marked so, the rest met or not.
      expect(report.targets.length).toBeGreaterThanOrEqual(40)
      for (const t of report.targets) expect(['met', 'NOT met', 'not measured', 'reported']).toContain(t.verdict)
      const verdict = (prefix: string) => report.targets.find((t) => t.target.startsWith(prefix))?.verdict
      expect(verdict('openRequest X25519 1 KiB / jose')).toBe('not measured')
      expect(['met', 'NOT met']).toContain(verdict('Fastify + Sealwire X25519 / Fastify floor X25519 (req/s)'))
      expect(['met', 'NOT met']).toContain(verdict('Fastify + Sealwire X25519 / Fastify floor X25519 (heap bytes'))
      expect(verdict('Fastify + Sealwire P-256 / Fastify floor P-256 (req/s)')).toBe('not measured')
      expect(verdict('Hono + Sealwire X25519 / Hono floor X25519 (req/s)')).toBe('not measured')
      expect(verdict('Fastify + Sealwire X25519 / plain Fastify')).toBe('reported')
      expect(verdict('fastify floor X25519: errors')).toBe('met')
      expect(verdict('fastify Sealwire X25519: errors')).toBe('met')
      expect(verdict('fastify Sealwire sessions X25519: errors')).toBe('met')
      expect(['met', 'NOT met']).toContain(verdict('Fastify + Sealwire sessions X25519 / plain Fastify (req/s)'))
      expect(['met', 'NOT met']).toContain(verdict('Fastify + Sealwire sessions X25519: server CPU added per request / v1'))
      expect(verdict('Express + Sealwire sessions X25519 / plain Express (req/s)')).toBe('not measured')
      expect(['met', 'NOT met']).toContain(verdict('Lambda adapter + Sealwire X25519 / floor lambda handler X25519'))
      expect(['met', 'NOT met']).toContain(verdict('fetch adapter + Sealwire X25519 / floor fetch handler X25519'))
      expect(verdict('fetch Sealwire X25519 handler: calls not answered 200')).toBe('met')
      // Side by side: the three servers of one framework and curve, then their ratios with their verdicts.
      expect(output).toMatch(/Fastify X25519\n\s+floor\s+\d+ req\/s\s+CPU \d+ µs\/req \(\+-?\d+\)\s+heap\s+\d+ B\/req\s+non-2xx 0\s+errors 0\s+timeouts 0\n\s+Sealwire\s+\d+ req\/s/)
      expect(output).toMatch(/Sealwire\/floor \d+\.\d+× \(≥ 0\.9: (met|NOT met)\) req\/s, \d+\.\d+× \(≤ 2: (met|NOT met)\) heap bytes; Sealwire\/plain \d+\.\d+× req\/s; median round against median round \d+\.\d+× req\/s/)
      expect(output).toMatch(/Sealwire\/floor \d+\.\d+× \(≥ 0\.9: (met|NOT met)\) calls\/s, \d+\.\d+× heap bytes; median round against median round \d+\.\d+× calls\/s/)
      expect(output).toMatch(/\n\s+sessions\s+\d+ req\/s\s+CPU \d+ µs\/req \(\+-?\d+\)/)
      expect(output).toMatch(/sessions\/plain \d+\.\d+× \(≥ 0\.5: (met|NOT met)\) req\/s; server CPU added within a session \/ v1 -?\d+\.\d+× \(≤ 0\.33: (met|NOT met)\); opened within the session \d+ of \d+, sessions made during the run 0/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})

describe('pnpm bench, micro part (a short run: 2 rounds of 20 ms per benchmark)', () => {
  it('measures every micro target in every round and reports each as the median of its per-round ratios', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-bench-test-'))
    try {
      const json = join(dir, 'bench.json')
      const args = ['--only', 'micro', '--micro-rounds', '2', '--micro-time', '20', '--json', json]
      const run = spawnSync('npx', ['-y', 'pnpm@10', 'bench', '--', ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 })
      const output = `${run.stdout}\n${run.stderr}`
      expect(run.status, output.slice(-4000)).toBe(0)
      const report = JSON.parse(readFileSync(json, 'utf8')) as { micro: Record<string, number[]>; targets: { target: string; value?: number; verdict: string }[] }
      const open = report.micro['X25519 1 KiB: open request (server) > sealwire openRequest (node backend)']
      const jose = report.micro['X25519 1 KiB: open request (server) > jose compactDecrypt alone']
      // One figure per round, keyed by the group's name without its round.
      expect(open).toHaveLength(2)
      expect(jose).toHaveLength(2)
      for (const hz of [...open!, ...jose!]) expect(hz).toBeGreaterThan(0)
      for (const key of Object.keys(report.micro)) expect(key).not.toMatch(/round/)
      const target = (prefix: string) => report.targets.find((t) => t.target.startsWith(prefix))!
      // With two rounds the median is the lower per-round ratio.
      const perRound = open!.map((hz, i) => hz / jose![i]!)
      expect(target('openRequest X25519 1 KiB / jose').value).toBeCloseTo(Math.min(...perRound), 10)
      for (const prefix of ['openRequest X25519 1 KiB', 'openRequest P-256 1 KiB', 'sealRequest X25519', 'sealRequest P-256', 'openRequest X25519 1 MiB', 'openRequest P-256 1 MiB']) {
        expect(['met', 'NOT met'], prefix).toContain(target(prefix).verdict)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 300_000)
})

describe('pnpm bench, Chromium part (a short run: 1 round of 30 ms per side)', () => {
  it.skipIf(!existsSync(CHROMIUM_PATH))('times the client within a session and v1 in the page, on WebCrypto and on noble, both curves', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-bench-test-'))
    try {
      const json = join(dir, 'bench.json')
      const run = spawnSync('npx', ['-y', 'pnpm@10', 'bench', '--', '--only', 'browser', '--browser-rounds', '1', '--browser-ms', '30', '--json', json], { cwd: root, encoding: 'utf8', timeout: 150_000 })
      const output = `${run.stdout}\n${run.stderr}`
      expect(run.status, output.slice(-4000)).toBe(0)
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        browser: { userAgent: string; backend: string; rows: { curve: string; backend: string; v1: number; session: number; ratio: number; rounds: unknown[] }[] }
        targets: { target: string; value?: number; verdict: string }[]
      }
      // In Chromium, on core's portable build (jose over WebCrypto), not Node's.
      expect(report.browser.userAgent).toMatch(/HeadlessChrome/)
      expect(report.browser.backend).toBe('jose')
      expect(report.browser.rows.map((r) => [r.curve, r.backend])).toEqual([
        ['X25519', 'webcrypto'],
        ['X25519', 'noble'],
        ['P-256', 'webcrypto'],
        ['P-256', 'noble'],
      ])
      for (const r of report.browser.rows) {
        expect(r.rounds).toHaveLength(1)
        expect(r.v1).toBeGreaterThan(0)
        expect(r.session).toBeGreaterThan(0)
        expect(r.ratio).toBeCloseTo(r.session / r.v1, 10)
      }
      const target = (prefix: string) => report.targets.find((t) => t.target.startsWith(prefix))!
      for (const curve of BENCH_CURVES) {
        expect(['met', 'NOT met']).toContain(target(`Chromium, WebCrypto: client seal + open per request, within a session / v1 ${curve}`).verdict)
        expect(target(`Chromium, pure-JS fallback (noble): client seal + open per request, within a session / v1 ${curve}`).verdict).toBe('reported')
      }
      expect(output).toMatch(/X25519\s+WebCrypto\s+v1\s+\d+ ops\/s\s+within a session\s+\d+ ops\/s\s+\d+\.\d+× \(≥ 3: (met|NOT met)\)/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})

describe('the floors and the sessions case (what the ratios are read against)', () => {
  // A floor only bounds Sealwire if it does the protocol's work: each must open a real
  // envelope sealed by core and answer the echo as a response JWE under the request's
  // rk, bound to its jti and status, that core's openResponse accepts.
  beforeAll(() => {
    const build = spawnSync('npx', ['tsup', '--config', 'test/bench/tsup.config.ts', '--silent'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0)
  }, 90_000)

  /** Seals the 1 KiB body, sends the envelope, and opens the answer under the request's rk. */
  async function echoThrough(curve: Curve, send: (envelope: string, keys: Awaited<ReturnType<typeof generateKeyPair>>) => Promise<{ status: number; contentType: string | undefined; text: string }>) {
    const keys = await generateKeyPair(curve)
    const sealed = await sealRequest({ recipient: await importRecipientKey(keys.publicJwk), request: { method: 'POST', target: BENCH_ROUTE }, body: BODY_1KIB })
    const { status, contentType, text } = await send(sealed.envelope, keys)
    expect(status, text).toBe(200)
    expect(contentType).toBe('application/jose')
    expect(text).not.toContain(BODY_1KIB.memo.slice(0, 32))
    const opened = await openResponse(text, { reply: sealed.reply, status })
    expect(opened.contentType).toBe('application/json')
    expect(JSON.parse(new TextDecoder().decode(opened.body))).toEqual(BODY_1KIB)
  }

  const cases = FRAMEWORKS.flatMap((framework) => BENCH_CURVES.map((curve) => [framework, curve] as const))
  it.each(cases)('%s floor, %s: opens a sealed request over loopback and seals the echo to its response key', async (framework, curve) => {
    await echoThrough(curve, async (envelope, keys) => {
      const { child, port } = await startServer(join(root, 'test/bench/dist/server.js'), framework, 'floor', keys.privateJwk)
      try {
        const response = await fetch(`http://127.0.0.1:${port}${BENCH_ROUTE}`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: envelope })
        return { status: response.status, contentType: response.headers.get('content-type') ?? undefined, text: await response.text() }
      } finally {
        await stopServer(child)
      }
    })
  }, 90_000)

  it.each(BENCH_CURVES)('sessions case, %s: the load is sealed within the session the server announced, and the server opens it', async (curve) => {
    const keys = await generateKeyPair(curve)
    const { child, port } = await startServer(join(root, 'test/bench/dist/server.js'), 'fastify', 'sessions', keys.privateJwk)
    try {
      const recipient = await importRecipientKey(keys.publicJwk)
      const session = await establishBenchSession(port, recipient)
      const [envelope] = await sealPool(recipient, 1, session)
      // Within the session (docs/PROTOCOL.md §11): `dir` under its sid, no ephemeral key, so no key agreement on either side.
      const header = decodeProtectedHeader(envelope!)
      expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM', sid: session.sid })
      expect(header).not.toHaveProperty('epk')
      expect(header).not.toHaveProperty('ses')
      const response = await fetch(`http://127.0.0.1:${port}${BENCH_ROUTE}`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: envelope })
      const text = await response.text()
      expect(response.status, text).toBe(200)
      expect(text).not.toContain(BODY_1KIB.memo.slice(0, 32))
      // The pool keeps envelopes only: one sealed the same way, its reply kept, shows the answer opens.
      const sealed = await sealRequest({ recipient, request: { method: 'POST', target: BENCH_ROUTE }, body: BODY_1KIB, session })
      const again = await fetch(`http://127.0.0.1:${port}${BENCH_ROUTE}`, { method: 'POST', headers: sealed.headers, body: sealed.httpBody })
      const opened = await openResponse(await again.text(), { reply: sealed.reply, status: again.status })
      expect(JSON.parse(new TextDecoder().decode(opened.body))).toEqual(BODY_1KIB)
      expect(opened.session).toBeUndefined()
    } finally {
      await stopServer(child)
    }
  }, 90_000)

  it.each(BENCH_CURVES)('Lambda floor handler, %s: takes an HTTP API event and returns the sealed echo as the result', async (curve) => {
    await echoThrough(curve, async (envelope, keys) => {
      const result = await floorLambda(keys.privateJwk as unknown as JsonWebKey)(echoEvent(envelope))
      return { status: result.statusCode, contentType: result.headers?.['content-type'] as string | undefined, text: result.body ?? '' }
    })
  })

  it.each(BENCH_CURVES)('fetch floor handler, %s: takes a Request and returns the sealed echo as a Response', async (curve) => {
    await echoThrough(curve, async (envelope, keys) => {
      const response = await floorFetch(keys.privateJwk as unknown as JsonWebKey)(echoRequest(envelope))
      return { status: response.status, contentType: response.headers.get('content-type') ?? undefined, text: await response.text() }
    })
  })
})
