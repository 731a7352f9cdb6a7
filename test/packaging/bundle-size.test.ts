/**
 * Issue 8's and issue 10's size target: a browser app importing `createClient`
 * loads at most 20 KB (minified + gzipped) before its first sealed request,
 * with each of the bundlers people use — esbuild, Vite (7 on Rollup, 8 on
 * Rolldown) and webpack 5 — at their production defaults with code splitting
 * on. Bundled as a user's bundler sees the package (the built dist, through its
 * exports map and the browser condition): the noble backend and anything else
 * behind `import()` is fetched only when needed and does not count; the entry
 * and every chunk it loads statically do. Every chunk, eager or lazy, is also
 * checked for `node:` imports (issue 8: no Node-only code in a browser bundle).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import * as esbuild from 'esbuild'
import { build as vite7Build } from 'vite'
import { build as vite8Build } from 'vite8'
import webpack from 'webpack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NODE_IMPORT } from '../helpers/browser.js'
import { buildPackage } from '../helpers/build-packages.js'
import { REPO_ROOT } from '../helpers/vectors.js'

/**
 * The eager budget, in bytes of gzip -9 output. The target was 20 KB; the sealed
 * head and forward-secret sessions brought the click-handler app to 25.6–27.1 KB,
 * ~7 KB of it jose's general JWE code. The first request now runs on core's own
 * WebCrypto JWE for its profile (jose only imports the server's key), which
 * brought it to 22.0–23.7 KB; this holds it there.
 */
const EAGER_LIMIT = 24 * 1024

/**
 * Two apps: one that sends on a click, and the client README's own shape (its
 * first example less the app's own zod): requests at the top level (`await`),
 * `fetch`, `post` and the error classes, so whatever its first request needs
 * is loaded with the page.
 */
const APPS: Record<string, { budget: number; source: string }> = {
  'a click handler': { budget: EAGER_LIMIT, source: `import { createClient } from '@sealwire/client'
const api = createClient({ baseUrl: 'https://api.example.com' })
document.querySelector('button')?.addEventListener('click', async () => {
  console.log(await api.post('/api/todos', { title: 'sealed' }))
})
` },
  // Loads more at once (23.5–24.7 KB: everything its first request needs, and since sealed streams the stream key
  // derivation its first answer may need, with the WebCrypto record cipher): held under 25 KB.
  "the README's top-level await": { budget: 25 * 1024, source: `import { createClient, SealwireError, SealwireHttpError } from '@sealwire/client'

const api = createClient({ baseUrl: 'https://api.example.com' })

const res = await api.fetch('/api/transfer', { method: 'POST', body: JSON.stringify({ to: 'alice', amount: 42 }) })
console.log(res.status, await res.json())

const todo = await api.get('/api/todos/1')
console.log(todo)

try {
  await api.post('/api/transfer', { to: 'alice', amount: -1 })
} catch (err) {
  if (err instanceof SealwireHttpError) console.log(err.status, err.code, err.problem?.issues)
  else if (err instanceof SealwireError) console.log(err.code)
  else throw err
}
` },
}

/** Vite builds an app from its page. */
const INDEX_HTML = `<!doctype html>
<html><body><button>Send</button><script type="module" src="./app.js"></script></body></html>
`

/** A split build, reduced to what the size check needs. */
interface SplitBuild {
  /** The entry chunk and every chunk it loads statically, transitively: what the page fetches before running. */
  eager: Uint8Array[]
  /** The chunks loaded only through `import()`. */
  lazy: Uint8Array[]
  /** The source files bundled into the eager chunks, as paths relative to the repository root. */
  eagerModules: string[]
}

/** The chunks reachable from `entry` through static imports. */
function staticClosure(entry: string, staticImports: (chunk: string) => readonly string[]): Set<string> {
  const eager = new Set<string>()
  const visit = (chunk: string): void => {
    if (eager.has(chunk)) return
    eager.add(chunk)
    for (const next of staticImports(chunk)) visit(next)
  }
  visit(entry)
  return eager
}

/** The part of a `vite build` result read here, where Rollup's and Rolldown's outputs agree. */
interface ViteOutput {
  output: Array<{ type: 'asset' } | { type: 'chunk'; fileName: string; code: string; isEntry: boolean; imports: string[]; moduleIds: string[] }>
}

const gzipBytes = (chunks: Uint8Array[]): number => chunks.reduce((n, code) => n + gzipSync(code, { level: 9 }).length, 0)
const encoder = new TextEncoder()

describe.each(Object.entries(APPS))('browser bundle of an app importing createClient: %s', (_appName, { budget, source: APP }) => {
  let dir: string
  const figures: Record<string, number> = {}

  beforeAll(async () => {
    await buildPackage('packages/core')
    await buildPackage('packages/client')
    // Inside test/ so that '@sealwire/client' resolves through test/node_modules to the package, as installed.
    dir = mkdtempSync(join(REPO_ROOT, 'test', 'packaging', '.bundle-size-'))
    writeFileSync(join(dir, 'app.js'), APP)
    writeFileSync(join(dir, 'index.html'), INDEX_HTML)
    // The app's own tsconfig, without the workspace's paths (they map @sealwire/* to src). Bundlers that
    // read tsconfig paths (webpack 5.10x and later, by default) must see what a user's app has.
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n')
  }, 300_000)

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    // One line for the CI log, whichever tests ran.
    console.log(`eager min+gz (budget ${budget} B): ${Object.entries(figures).map(([name, n]) => `${name} ${n} B`).join(', ')}`)
  })

  /** The checks every bundler's build must pass; records the eager size. */
  function checkSplitBuild(bundler: string, build: SplitBuild): void {
    const gz = gzipBytes(build.eager)
    figures[bundler] = gz
    console.log(`${bundler}: eager ${gz} B min+gz in ${build.eager.length} file(s); ${build.lazy.length} lazy chunk(s)`)
    const modules = build.eagerModules
    // Real code got bundled (not an empty stub), from the built packages: the client and jose are eager.
    expect(modules.some((m) => m.startsWith('packages/client/dist/')), modules.join('\n')).toBe(true)
    expect(modules.some((m) => /node_modules\/jose\//.test(m))).toBe(true)
    expect(modules.filter((m) => /^packages\/[^/]+\/src\//.test(m))).toEqual([])
    // zod is not on the eager path (it was 35 KB of it), nor the noble fallback: only behind import(), if at all.
    expect(modules.filter((m) => /node_modules\/(zod|@noble)\//.test(m))).toEqual([])
    // Splitting is on and took effect: the fallback is a chunk of its own.
    expect(build.lazy.length).toBeGreaterThan(0)
    for (const code of [...build.eager, ...build.lazy]) expect(new TextDecoder().decode(code).match(NODE_IMPORT)).toBeNull()
    expect(gz, `${bundler}: eager ${(gz / 1024).toFixed(2)} KB min+gz`).toBeLessThanOrEqual(budget)
  }

  it('loads within its eager budget (min+gz) with esbuild (splitting on)', async () => {
    const result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: ['app.js'],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      splitting: true,
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
      // Not the workspace's tsconfig paths (they map @sealwire/* to src): the package as published.
      tsconfigRaw: {},
    })
    const outputs = result.metafile.outputs
    const entry = Object.keys(outputs).find((path) => outputs[path]!.entryPoint !== undefined)!
    const eager = staticClosure(entry, (path) => outputs[path]!.imports.filter((i) => i.kind === 'import-statement' && outputs[i.path] !== undefined).map((i) => i.path))
    const chunks = result.outputFiles.map((f) => ({ path: join('out', relative(join(dir, 'out'), f.path)), code: f.contents }))
    expect(chunks.filter((c) => eager.has(c.path)).length).toBe(eager.size)
    // esbuild's metafile paths are relative to absWorkingDir.
    const eagerModules = [...eager].flatMap((path) => Object.keys(outputs[path]!.inputs)).map((input) => relative(REPO_ROOT, join(dir, input)))
    checkSplitBuild('esbuild', {
      eager: chunks.filter((c) => eager.has(c.path)).map((c) => c.code),
      lazy: chunks.filter((c) => !eager.has(c.path)).map((c) => c.code),
      eagerModules,
    })
  }, 120_000)

  // `vite build` of the app's page with no config: Vite's production defaults (minified, dynamic imports split).
  const vites: Array<[name: string, build: (config: { root: string; configFile: false; logLevel: 'silent'; build: { write: false } }) => Promise<unknown>]> = [
    ['Vite 7 (Rollup)', vite7Build],
    ['Vite 8 (Rolldown)', vite8Build],
  ]
  for (const [name, viteBuild] of vites) {
    it(`loads within its eager budget (min+gz) with ${name}`, async () => {
      const result = (await viteBuild({ root: dir, configFile: false, logLevel: 'silent', build: { write: false } })) as ViteOutput | ViteOutput[]
      const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output)
      const chunks = new Map(outputs.flatMap((o) => (o.type === 'chunk' ? [[o.fileName, o] as const] : [])))
      const entries = [...chunks.values()].filter((c) => c.isEntry)
      expect(entries.length).toBe(1)
      const eager = staticClosure(entries[0]!.fileName, (file) => chunks.get(file)!.imports)
      checkSplitBuild(name, {
        eager: [...eager].map((file) => encoder.encode(chunks.get(file)!.code)),
        lazy: [...chunks.keys()].filter((file) => !eager.has(file)).map((file) => encoder.encode(chunks.get(file)!.code)),
        // Module ids are absolute paths, or `\0`-prefixed for Vite's own virtual modules.
        eagerModules: [...eager].flatMap((file) => chunks.get(file)!.moduleIds).filter((id) => id.startsWith('/')).map((id) => relative(REPO_ROOT, id)),
      })
    }, 120_000)
  }

  it('loads within its eager budget (min+gz) with webpack 5 (production mode)', async () => {
    const outDir = join(dir, 'webpack-out')
    // webpack's production defaults: minified by Terser, splitChunks on async chunks, target web.
    const compiler = webpack({
      context: dir,
      mode: 'production',
      target: 'web',
      entry: './app.js',
      output: { path: outDir },
      // See the tsconfig written above: in the workspace, a lookup from packages/client/dist would find
      // packages/client/tsconfig.json and its src paths; an installed package ships no tsconfig.
      resolve: { tsconfig: join(dir, 'tsconfig.json') },
    })
    const stats = await new Promise<webpack.Stats>((resolve, reject) =>
      compiler.run((error, result) => {
        compiler.close(() => undefined)
        if (error !== null && error !== undefined) reject(error)
        else resolve(result!)
      }),
    )
    const { compilation } = stats
    expect(compilation.errors.map(String)).toEqual([])
    // webpack loads every chunk of the entrypoint before running it; the others come through import().
    const eagerChunks = [...compilation.entrypoints.get('main')!.chunks]
    const eagerFiles = new Set(eagerChunks.flatMap((chunk) => [...chunk.files]))
    const allFiles = [...compilation.chunks].flatMap((chunk) => [...chunk.files])
    const read = (file: string): Uint8Array => readFileSync(join(outDir, file))
    // A concatenated module holds the modules it inlined; runtime modules have no source file.
    const eagerModules = eagerChunks
      .flatMap((chunk) => [...compilation.chunkGraph.getChunkModulesIterable(chunk)])
      .flatMap((m) => ('modules' in m && Array.isArray(m.modules) ? (m.modules as webpack.Module[]) : [m]))
      .flatMap((m) => (m instanceof webpack.NormalModule ? [relative(REPO_ROOT, m.resource)] : []))
    checkSplitBuild('webpack 5', {
      eager: [...eagerFiles].map(read),
      lazy: allFiles.filter((file) => !eagerFiles.has(file)).map(read),
      eagerModules,
    })
  }, 120_000)
})
