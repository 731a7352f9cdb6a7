/**
 * The fetch adapter and the client in the runtimes people deploy them to,
 * besides Node (test/server) and Chromium (test/client/browser.test.ts): Bun,
 * Deno and workerd through Miniflare, each installed from the npm registry
 * with its binary (test/package.json). One scenario (fixtures/scenario.ts) is
 * bundled here with tsup/esbuild, as an app would be, and run in each: a sealed
 * round trip, the same envelope replayed (refused, 409), a ciphertext with one
 * character changed (refused, 400 decryption_failed).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workspaceSources } from '../../examples/workspace-sources.js'
import type { ScenarioResult } from './fixtures/scenario.js'

const run = promisify(execFile)
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const require = createRequire(import.meta.url)
/** The binaries the npm packages put in place (their install scripts are allowed in pnpm-workspace.yaml). */
const bin = (name: string) => join(here('../node_modules/.bin'), name)

let outDir: string
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'sealwire-runtimes-'))
  // One ESM bundle per kind of entry, for a web platform: no Node built-ins may leak in.
  await build({
    entry: { cli: here('fixtures/cli-entry.ts'), worker: here('fixtures/worker-entry.ts') },
    outDir,
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    bundle: true,
    noExternal: [/.*/],
    splitting: false,
    dts: false,
    sourcemap: false,
    silent: true,
    esbuildPlugins: [workspaceSources],
    tsconfig: here('../tsconfig.json'),
  })
}, 120_000)
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

function expectScenario(result: ScenarioResult, runtime: string): void {
  expect(result.runtime).toBe(runtime)
  expect(result.roundTrip).toEqual({ echo: { runtime, amount: 42 }, htm: 'POST' })
  // After decryption the refusal is sealed to the requester: status 409, body an envelope.
  expect(result.replay).toEqual({ status: 409, code: 'sealed' })
  expect(result.tamper).toEqual({ status: 400, code: 'decryption_failed' })
}

describe('real runtimes: sealed round trip, replay refused, tamper refused', () => {
  it('Bun', async () => {
    const { stdout } = await run(bin('bun'), ['run', join(outDir, 'cli.js')], { timeout: 60_000 })
    expectScenario(JSON.parse(stdout.trim().split('\n').at(-1)!) as ScenarioResult, 'bun')
  })

  it('Deno', async () => {
    // No permissions granted: the scenario needs none (no network, no files, no env).
    const { stdout } = await run(bin('deno'), ['run', '--no-prompt', join(outDir, 'cli.js')], { timeout: 60_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } })
    expectScenario(JSON.parse(stdout.trim().split('\n').at(-1)!) as ScenarioResult, 'deno')
  })

  it('workerd (Miniflare)', async () => {
    const { Miniflare } = require('miniflare') as typeof import('miniflare')
    // The script as text: workerd refuses a module path outside its working directory.
    const mf = new Miniflare({ modules: true, script: readFileSync(join(outDir, 'worker.js'), 'utf8'), compatibilityDate: '2025-01-01' })
    try {
      const response = await mf.dispatchFetch('https://runner.example.test/')
      const result = (await response.json()) as ScenarioResult & { error?: string }
      expect(result.error).toBeUndefined()
      expect(response.status).toBe(200)
      expectScenario(result, 'workerd')
    } finally {
      await mf.dispose()
    }
  })
})
