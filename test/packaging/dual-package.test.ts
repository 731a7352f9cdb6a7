/**
 * Dual packaging: each package builds with tsup to ESM + CJS + types, its
 * exports map puts `types` first, and a consumer on this Node (>= 20.19, which
 * can `require()` the ESM-only jose) loads it with both `import` and `require`
 * from a node_modules laid out like an install: the package's `files` and
 * package.json copied, its dependencies linked. No workspace paths, no aliases.
 *
 * Adding a package is one line in PACKAGES; a package whose package.json does
 * not exist yet is left out, and so is one whose package.json is not yet
 * committed (in a git checkout): a package being written beside this suite is
 * tested from its first commit, not half-way through. Without a `script`, a
 * package is checked by loading every subpath both ways and comparing the
 * export names.
 */
import { execFile, execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPackage } from '../helpers/build-packages.js'
import { REPO_ROOT } from '../helpers/vectors.js'

const run = promisify(execFile)

interface PackageUnderTest {
  /** Package folder, relative to the repo root. */
  dir: string
  /**
   * A check to run in the consumer, `sw` being the loaded main entry (same code
   * for import and require). It returns a JSON-able value that must be equal in both.
   */
  script?: string
}

/** A real seal/open round trip on both curves, a response, and a typed failure. */
const CORE_ROUND_TRIP = `
  const { KeyRing, MemoryReplayStore, SealwireError, generateKeyPair, importRecipientKey, openRequest, openResponse, sealRequest, sealResponse } = sw
  const out = {}
  for (const curve of ['P-256', 'X25519']) {
    const { privateJwk, publicJwk } = await generateKeyPair(curve)
    const keyRing = await KeyRing.from([privateJwk])
    const recipient = await importRecipientKey(publicJwk)
    const request = { method: 'POST', target: '/dual?x=1' }
    const sealed = await sealRequest({ recipient, request, body: { curve } })
    // A store that has been up for a minute: its start is no reason to refuse.
    let first = true
    const replayStore = new MemoryReplayStore({ clock: () => (first ? ((first = false), Date.now() - 60000) : Date.now()) })
    const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore })
    const jwe = await sealResponse({ reply: opened.reply, status: 201, contentType: 'application/json', body: JSON.stringify(opened.body) })
    const res = await openResponse(jwe, { reply: sealed.reply, status: 201 })
    out[curve] = { body: JSON.parse(new TextDecoder().decode(res.body)), crv: opened.claims.crv }
    try {
      await openRequest(sealed.envelope, { keyRing, request, replayStore })
      out[curve].replay = 'accepted'
    } catch (error) {
      out[curve].replay = error instanceof SealwireError ? error.code : String(error)
    }
  }
  return out
`

const PACKAGES: PackageUnderTest[] = [
  { dir: 'packages/core', script: CORE_ROUND_TRIP },
  { dir: 'packages/client' },
  { dir: 'packages/server' },
  { dir: 'packages/redis' },
  { dir: 'packages/dynamodb' },
  { dir: 'packages/cloudflare' },
  { dir: 'packages/cli' },
]

interface Manifest {
  name: string
  type?: string
  sideEffects?: boolean
  engines?: { node?: string }
  files?: string[]
  main?: string
  module?: string
  types?: string
  bin?: string | Record<string, string>
  exports?: Record<string, unknown>
  devDependencies?: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/** Whether git tracks the file; true outside a git checkout (a tarball has only what was committed). */
function committed(file: string): boolean {
  if (!existsSync(join(REPO_ROOT, '.git'))) return true
  try {
    execFileSync('git', ['ls-files', '--error-unmatch', file], { cwd: REPO_ROOT, stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const present = PACKAGES.filter((p) => existsSync(join(REPO_ROOT, p.dir, 'package.json')) && committed(`${p.dir}/package.json`))
const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as Manifest
const dirOfName = (name: string) => PACKAGES.find((p) => existsSync(join(REPO_ROOT, p.dir, 'package.json')) && manifestOf(p.dir).name === name)?.dir

/** Subpaths a consumer can load with both conditions (`./package.json` and browser-only entries aside). */
function loadableSubpaths(manifest: Manifest): string[] {
  return Object.entries(manifest.exports ?? {})
    .filter(([, target]) => typeof target === 'object' && target !== null && 'import' in target && 'require' in target)
    .map(([subpath]) => subpath)
}

/** Every `types`-carrying conditions object must list `types` first (TypeScript takes the first match). */
function exportsProblems(exports: Record<string, unknown>): string[] {
  const problems: string[] = []
  const visit = (path: string, value: unknown) => {
    if (typeof value !== 'object' || value === null) return
    const keys = Object.keys(value)
    if (keys.includes('types') && keys[0] !== 'types') problems.push(`${path}: "types" must come first, found ${keys.join(', ')}`)
    for (const condition of ['import', 'require'] as const) {
      const inner = (value as Record<string, unknown>)[condition]
      if (inner === undefined) continue
      if (typeof inner !== 'object' || inner === null || !('types' in inner)) {
        problems.push(`${path}.${condition}: no "types" for this condition`)
        continue
      }
      const types = (inner as Record<string, string>).types!
      // A require condition pointing at .d.ts types would make TypeScript treat CJS as ESM ("masquerading").
      if (condition === 'require' && !types.endsWith('.d.cts')) problems.push(`${path}.require.types should be a .d.cts file, is ${types}`)
      if (condition === 'import' && !types.endsWith('.d.ts')) problems.push(`${path}.import.types should be a .d.ts file, is ${types}`)
    }
    for (const key of keys) visit(`${path}.${key}`, (value as Record<string, unknown>)[key])
  }
  for (const [subpath, value] of Object.entries(exports)) visit(`exports["${subpath}"]`, value)
  return problems
}

/** Every file the manifest points at. */
function targetsOf(manifest: Manifest): string[] {
  const targets = new Set<string>()
  const visit = (value: unknown) => {
    if (typeof value === 'string') targets.add(value)
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit)
  }
  for (const [subpath, value] of Object.entries(manifest.exports ?? {})) if (subpath !== './package.json') visit(value)
  for (const field of [manifest.main, manifest.module, manifest.types]) if (field !== undefined) targets.add(field)
  visit(manifest.bin)
  // A subpath pattern (`./browser/*`: files, not modules) must at least have its folder.
  return [...targets].map((t) => (t.includes('*') ? t.slice(0, t.lastIndexOf('/', t.indexOf('*')) + 1) : t))
}

let consumer: string
const installed = new Map<string, Promise<void>>()

/** Builds a package with tsup (its own config, its own folder) and installs it into the consumer. */
function install(dir: string): Promise<void> {
  let done = installed.get(dir)
  if (done === undefined) {
    done = (async () => {
      const manifest = manifestOf(dir)
      const packageDir = join(REPO_ROOT, dir)
      // Built once across test files (the tarball suite builds the same dist), our own dependencies first.
      await buildPackage(dir)
      // Lay it out like an install: package.json and the published `files` only.
      const target = join(consumer, 'node_modules', manifest.name)
      mkdirSync(target, { recursive: true })
      cpSync(join(packageDir, 'package.json'), join(target, 'package.json'))
      for (const entry of manifest.files ?? []) {
        if (existsSync(join(packageDir, entry))) cpSync(join(packageDir, entry), join(target, entry), { recursive: true })
      }
      // Dependencies: our own packages installed the same way, the rest linked from the workspace.
      const deps = { ...manifest.optionalDependencies, ...manifest.peerDependencies, ...manifest.dependencies }
      for (const name of Object.keys(deps)) {
        const workspaceDir = name.startsWith('@sealwire/') ? dirOfName(name) : undefined
        if (workspaceDir !== undefined) {
          await install(workspaceDir)
          continue
        }
        const link = join(consumer, 'node_modules', name)
        const source = join(packageDir, 'node_modules', name)
        if (existsSync(link) || !existsSync(source)) continue // absent: an optional peer this workspace does not install
        mkdirSync(dirname(link), { recursive: true })
        symlinkSync(realpathSync(source), link, 'dir')
      }
    })()
    installed.set(dir, done)
  }
  return done
}

/** Runs `body` (an async function body, `sw` in scope) in a child node, loading `specifier` with `how`. */
async function inConsumer(how: 'import' | 'require', specifier: string, body: string): Promise<{ value: unknown; resolved: string }> {
  const file = join(consumer, `check-${how}-${Math.random().toString(36).slice(2)}.${how === 'import' ? 'mjs' : 'cjs'}`)
  const load =
    how === 'import'
      ? `const sw = await import(${JSON.stringify(specifier)}); const resolved = import.meta.resolve(${JSON.stringify(specifier)});`
      : `const sw = require(${JSON.stringify(specifier)}); const resolved = require.resolve(${JSON.stringify(specifier)});`
  writeFileSync(
    file,
    `(async () => { ${load}\n const value = await (async () => { ${body} })();\n process.stdout.write(JSON.stringify({ value, resolved })) })()` +
      `.catch((error) => { console.error(error && error.stack || error); process.exit(1) })\n`,
  )
  const { stdout } = await run(process.execPath, [file], { cwd: consumer, timeout: 60_000 }).catch((error: { stderr?: string }) => {
    throw new Error(`${how} of ${specifier} failed in a child node:\n${error.stderr ?? String(error)}`)
  })
  return JSON.parse(stdout) as { value: unknown; resolved: string }
}

const EXPORT_NAMES = 'return Object.keys(sw).filter((k) => k !== "default" && k !== "module.exports").sort()'

describe('dual package (ESM + CJS + types) from a built install', () => {
  beforeAll(() => {
    consumer = mkdtempSync(join(tmpdir(), 'sealwire-dual-'))
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'sealwire-dual-consumer', private: true }))
  })
  afterAll(() => {
    if (consumer !== undefined) rmSync(consumer, { recursive: true, force: true })
  })

  it('runs on a Node that can require() ESM (>= 20.19), as the packages declare', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
    expect(major > 20 || (major === 20 && minor >= 19)).toBe(true)
    expect(present.map((p) => p.dir)).toContain('packages/core')
  })

  it('has an exports checker that catches misordered and masquerading types (self-check)', () => {
    expect(
      exportsProblems({
        '.': { import: { default: './dist/index.js', types: './dist/index.d.ts' }, require: { types: './dist/index.d.ts', default: './dist/index.cjs' } },
        './x': { require: { default: './dist/x.cjs' } },
      }),
    ).toEqual([
      'exports["."].require.types should be a .d.cts file, is ./dist/index.d.ts',
      'exports["."].import: "types" must come first, found default, types',
      'exports["./x"].require: no "types" for this condition',
    ])
  })

  for (const pkg of present) {
    const manifest = manifestOf(pkg.dir)
    describe(manifest.name, () => {
      beforeAll(() => install(pkg.dir), 300_000)

      it('declares the package conventions: ESM, no side effects, engines, dist only', () => {
        expect(manifest.type).toBe('module')
        expect(manifest.sideEffects).toBe(false)
        expect(manifest.engines?.node).toBe('>=20.19')
        expect(manifest.files).toEqual(['dist'])
      })

      it('has an exports map with types first for import and require, every target (and bin) built', () => {
        expect(manifest.exports, 'exports map').toBeDefined()
        expect(exportsProblems(manifest.exports!)).toEqual([])
        expect(loadableSubpaths(manifest)).toContain('.')
        const missing = targetsOf(manifest).filter((t) => !existsSync(join(consumer, 'node_modules', manifest.name, t)))
        expect(missing).toEqual([])
      })

      for (const subpath of loadableSubpaths(manifest)) {
        const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`
        it(`loads ${specifier} with import and require, from dist, with the same exports`, async () => {
          const esm = await inConsumer('import', specifier, EXPORT_NAMES)
          const cjs = await inConsumer('require', specifier, EXPORT_NAMES)
          expect(esm.resolved).toMatch(/\/node_modules\/@sealwire\/[^/]+\/dist\/.+\.js$/)
          expect(cjs.resolved).toMatch(/\/node_modules\/@sealwire\/[^/]+\/dist\/.+\.cjs$/)
          expect((esm.value as string[]).length).toBeGreaterThan(0)
          expect(cjs.value).toEqual(esm.value)
        })
      }

      if (pkg.script !== undefined) {
        it('passes its own check under import and under require alike', async () => {
          const esm = await inConsumer('import', manifest.name, pkg.script!)
          const cjs = await inConsumer('require', manifest.name, pkg.script!)
          expect(cjs.value).toEqual(esm.value)
          if (pkg.dir === 'packages/core') {
            expect(esm.value).toEqual({
              'P-256': { body: { curve: 'P-256' }, crv: 'P-256', replay: 'replayed_request' },
              X25519: { body: { curve: 'X25519' }, crv: 'X25519', replay: 'replayed_request' },
            })
          }
        })
      }
    })
  }
})
