/**
 * What reaches a browser or a Worker. The Node-native backend lives behind
 * core's `#platform` import map (its `node` condition) and in the
 * `@sealwire/core/node` entry; these checks keep it there:
 * - the client's browser bundle and a Workers bundle of `@sealwire/server` +
 *   `@sealwire/server/fetch` contain no `node:` import, and no Node-only module;
 * - the import map gives `node`, `bun` and `deno` the native branch and every
 *   web condition the portable one, `browser` before any of them (the bundles
 *   above resolve `#platform` through tsconfig paths to the portable branch, so
 *   the map itself is checked here);
 * - the Workers bundle no longer carries classic zod (its options are zod/mini, like core).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { buildBrowserBundle, NODE_IMPORT } from '../helpers/browser.js'
import { REPO_ROOT } from '../helpers/vectors.js'

const NODE_ONLY_SOURCES = /packages\/core\/src\/node\//

/** A Worker as a user writes one: the engine from `@sealwire/server`, the handler from `/fetch`. */
const WORKER = `
import { createSealwireServer } from '@sealwire/server'
import { withSealwire } from '@sealwire/server/fetch'
let handler
export default {
  fetch(request, env) {
    handler ??= withSealwire(createSealwireServer({ keys: JSON.parse(env.SEALWIRE_KEYS), singleInstance: true }), async (req) => Response.json({ ok: true }))
    return handler(request)
  },
}
`

/** Bundles the Worker the way wrangler does (esbuild, workerd/worker/browser conditions), minified. */
export async function buildWorkerBundle() {
  const result = await build({
    stdin: { contents: WORKER, resolveDir: REPO_ROOT, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    minify: true,
    metafile: true,
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    logLevel: 'silent',
  })
  const text = result.outputFiles[0]!.text
  return { text, inputs: Object.keys(result.metafile.inputs), gzipBytes: gzipSync(text).length }
}

/** Node's PACKAGE_IMPORTS_EXPORTS_RESOLVE on a conditions object: the first key in order that is among `conditions` (or `default`). */
function resolveConditions(target: unknown, conditions: readonly string[]): string | undefined {
  if (typeof target === 'string') return target
  if (typeof target !== 'object' || target === null) return undefined
  for (const [key, value] of Object.entries(target)) {
    if (key === 'default' || conditions.includes(key)) {
      const hit = resolveConditions(value, conditions)
      if (hit !== undefined) return hit
    }
  }
  return undefined
}

describe('no Node-only code in browser and Workers bundles', () => {
  it("the client's browser bundle has no node: import", async () => {
    const bundle = await buildBrowserBundle()
    try {
      const text = readFileSync(bundle.file, 'utf8')
      expect(text.length).toBeGreaterThan(10_000)
      expect(text.match(NODE_IMPORT)).toBeNull()
      expect(text).not.toContain('createDecipheriv')
    } finally {
      await bundle.dispose()
    }
  }, 120_000)

  it('a Workers bundle of @sealwire/server/fetch has no node: import, no Node-only source and no classic zod', async () => {
    const { text, inputs, gzipBytes } = await buildWorkerBundle()
    expect(text.match(NODE_IMPORT)).toBeNull()
    expect(inputs.filter((p) => NODE_ONLY_SOURCES.test(p))).toEqual([])
    expect(inputs.some((p) => p.includes('packages/server/src/adapters/fetch.ts'))).toBe(true)
    expect(inputs.filter((p) => /zod\/v4\/classic\//.test(p))).toEqual([])
    expect(inputs.some((p) => /zod\/v4\/mini\//.test(p))).toBe(true)
    // Classic zod made it ~119 KB gzipped; with zod/mini it is ~36 KB. A loose bound, to catch a regression.
    expect(gzipBytes).toBeLessThan(60_000)
  }, 120_000)

  it("core's #platform map sends Node, Bun and Deno to node:crypto and every web runtime to jose/WebCrypto", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/core/package.json'), 'utf8')) as { imports: Record<string, unknown> }
    const map = pkg.imports['#platform']
    const web = [
      ['browser', 'import'],
      ['workerd', 'worker', 'browser', 'import'],
      ['worker', 'browser', 'require'],
    ]
    for (const conditions of web) expect(resolveConditions(map, conditions), conditions.join()).toMatch(/^\.\/dist\/platform\/portable\.c?js$/)
    // A bundler for browsers that also sets a server runtime's conditions (a Deno or Bun build for the web): `browser` wins.
    for (const runtime of ['bun', 'deno', 'node']) expect(resolveConditions(map, ['browser', runtime, 'import']), runtime).toBe('./dist/platform/portable.js')
    // Node, and Bun and Deno, where it measured faster on X25519 and responses (README, "Bun and Deno"), each by its own condition.
    for (const conditions of [['node'], ['bun', 'node'], ['deno', 'node'], ['bun'], ['deno']]) {
      expect(resolveConditions(map, [...conditions, 'import']), conditions.join()).toBe('./dist/node/platform.js')
      expect(resolveConditions(map, [...conditions, 'require']), conditions.join()).toBe('./dist/node/platform.cjs')
    }
    // And the built entries the map names are the ones tsup builds.
    const tsup = readFileSync(join(REPO_ROOT, 'packages/core/tsup.config.ts'), 'utf8')
    expect(tsup).toContain("'src/node/platform.ts'")
    expect(tsup).toContain("'src/platform/portable.ts'")
  })
})
