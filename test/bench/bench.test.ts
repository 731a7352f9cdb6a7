/**
 * The benchmark's structure and correctness, not its timings (the machine is
 * noisy; figures come from `pnpm bench`): a very short run of the HTTP part on
 * one framework and of the replay store part, through the same command.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair, importRecipientKey, sealRequest } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { BENCH_ROUTE } from './http/contract.js'
import { BODY_1KIB, startServer, stopServer, type HttpRun } from './http/load.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('pnpm bench (a short run: HTTP on Fastify, the replay store)', () => {
  it('answers every request 2xx (no envelope resent: a replay is a 409), and writes every field and target', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-bench-test-'))
    try {
      const json = join(dir, 'bench.json')
      const args = ['--only', 'http,store', '--frameworks', 'fastify', '--duration', '1', '--warmup', '0.3', '--connections', '10', '--rounds', '2', '--store-entries', '1000000', '--json', json]
      const run = spawnSync('npx', ['-y', 'pnpm@10', 'bench', '--', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 })
      const output = `${run.stdout}\n${run.stderr}`
      expect(run.status, output).toBe(0)
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        machine: { node: string; cpus: number }
        options: { connections: number }
        micro: null
        http: { framework: string; curve: string | null; warmup: HttpRun; run: HttpRun; rounds: HttpRun[] }[]
        store: { entries: number; refused: number; live: number; heapBytesPerEntry: number; reportedBytesPerEntry: number }
        targets: { target: string; verdict: string }[]
      }
      expect(report.machine.node).toBe(process.version)
      expect(report.options.connections).toBe(10)
      expect(report.micro).toBeNull()
      expect(report.http.map((h) => [h.framework, h.curve])).toEqual([
        ['fastify', null],
        ['fastify', 'X25519'],
      ])
      for (const h of report.http) {
        // The measured run carries the server's CPU per request (the warm-up does not).
        expect(h.run.serverCpuMicrosPerRequest, output).toBeGreaterThan(0)
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
      }
      // A million entries: with 20 000, GC noise in the heap delta (a few MB) could make it negative.
      expect(report.store).toMatchObject({ entries: 1_000_000, refused: 0, live: 1_000_000 })
      expect(report.store.heapBytesPerEntry).toBeGreaterThan(0)
      expect(report.store.reportedBytesPerEntry).toBeGreaterThan(0)
      // Every target of issue 8 is listed; what was not run is marked so, the rest met or not.
      expect(report.targets.length).toBeGreaterThanOrEqual(15)
      for (const t of report.targets) expect(['met', 'NOT met', 'not measured', 'reported']).toContain(t.verdict)
      const verdict = (prefix: string) => report.targets.find((t) => t.target.startsWith(prefix))?.verdict
      expect(verdict('openRequest X25519 1 KiB / jose')).toBe('not measured')
      expect(verdict('Fastify + Sealwire X25519')).toBe('reported')
      expect(verdict('fastify + Sealwire X25519: errors')).toBe('met')
      expect(verdict('hono + Sealwire X25519: errors')).toBe('not measured')
      expect(output).toMatch(/fastify \+ Sealwire X25519 .* req\/s .*×\s+server CPU \d+ µs\/req \(\+-?\d+\)\s+non-2xx 0\s+errors 0/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 150_000)
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

describe('the crypto-only server (the ceiling the HTTP ratios are read against)', () => {
  // Its ratio only bounds Sealwire's if it does the same cryptographic work: it must
  // open a real envelope and seal the echo to the request's response key.
  beforeAll(() => {
    const build = spawnSync('npx', ['tsup', '--config', 'test/bench/tsup.config.ts', '--silent'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0)
  }, 90_000)

  it.each(['X25519', 'P-256'] as const)('%s: opens a sealed request and seals the echo to its response key', async (curve) => {
    const keys = await generateKeyPair(curve)
    const { child, port } = await startServer(join(root, 'test/bench/dist/server.js'), 'express', 'crypto-only', keys.privateJwk)
    try {
      const sealed = await sealRequest({ recipient: await importRecipientKey(keys.publicJwk), request: { method: 'POST', target: BENCH_ROUTE }, body: BODY_1KIB })
      const response = await fetch(`http://127.0.0.1:${port}${BENCH_ROUTE}`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: sealed.envelope })
      const text = await response.text()
      expect(response.status, text).toBe(200)
      expect(text).not.toContain(BODY_1KIB.memo.slice(0, 32))
      const echoed = await nodeBackend.openWithSecret(text, sealed.reply.rk)
      expect(JSON.parse(Buffer.from(echoed).toString())).toEqual(BODY_1KIB)
    } finally {
      await stopServer(child)
    }
  }, 90_000)
})
