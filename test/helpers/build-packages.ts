/**
 * Builds a package's dist with its own tsup config, once per change of its
 * inputs, whichever test file asks first.
 *
 * Several test files need the real dist (the dual-package suite, the packed
 * tarballs) and vitest runs them in parallel workers: two tsup runs in one
 * folder wipe each other's output. A lock (an atomic `mkdir`) serializes the
 * builds across processes, and a stamp (a digest of the sources, config and
 * manifest, and of the stamps of the @sealwire packages it depends on) lets the
 * second caller find the build done instead of redoing it under the first one's
 * feet.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { REPO_ROOT } from './vectors.js'

const run = promisify(execFile)

/** The workspace packages, by name, as folders relative to the repo root. */
export const PACKAGE_DIRS: Readonly<Record<string, string>> = {
  '@sealwire/core': 'packages/core',
  '@sealwire/client': 'packages/client',
  '@sealwire/server': 'packages/server',
  '@sealwire/redis': 'packages/redis',
  '@sealwire/dynamodb': 'packages/dynamodb',
  '@sealwire/cloudflare': 'packages/cloudflare',
  '@sealwire/cli': 'packages/cli',
}

interface Manifest {
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

/** Digest of what the build reads: src/, the tsup config, the manifest, and the stamps of our own dependencies. */
function digestOf(packageDir: string, depStamps: string[]): string {
  const hash = createHash('sha256')
  const inputs = [...filesUnder(join(packageDir, 'src')), join(packageDir, 'tsup.config.ts'), join(packageDir, 'package.json')].sort()
  for (const file of inputs) hash.update(relative(packageDir, file)).update('\0').update(readFileSync(file)).update('\0')
  for (const stamp of depStamps) hash.update(stamp)
  return hash.digest('hex')
}

const LOCK_STALE_MS = 5 * 60_000

async function withLock<T>(lockDir: string, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 2 * LOCK_STALE_MS
  for (;;) {
    try {
      mkdirSync(lockDir)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A lock left by a killed run would block every later one.
      if (Date.now() - statSync(lockDir, { throwIfNoEntry: false })!.mtimeMs > LOCK_STALE_MS) rmSync(lockDir, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`gave up waiting for the build lock ${lockDir}`)
      await sleep(200)
    }
  }
  try {
    return await body()
  } finally {
    rmSync(lockDir, { recursive: true, force: true })
  }
}

const building = new Map<string, Promise<string>>()

/**
 * Builds `dir` (relative to the repo root) and, first, the @sealwire packages it
 * depends on (a dependent's type build reads their dist). Resolves to the stamp.
 */
export function buildPackage(dir: string): Promise<string> {
  let done = building.get(dir)
  if (done === undefined) {
    done = (async () => {
      const packageDir = join(REPO_ROOT, dir)
      const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest
      const own = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.devDependencies })
        .map((name) => PACKAGE_DIRS[name])
        .filter((d): d is string => d !== undefined)
      const depStamps: string[] = []
      for (const depDir of own) depStamps.push(await buildPackage(depDir))
      const stampDir = join(packageDir, 'node_modules')
      mkdirSync(stampDir, { recursive: true })
      const stampFile = join(stampDir, '.sealwire-build-stamp')
      return withLock(join(stampDir, '.sealwire-build-lock'), async () => {
        const stamp = digestOf(packageDir, depStamps)
        const built = existsSync(join(packageDir, 'dist')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp
        if (!built) {
          rmSync(stampFile, { force: true })
          const tsup = join(REPO_ROOT, 'node_modules', '.bin', 'tsup')
          await run(tsup, ['--silent'], { cwd: packageDir, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string }) => {
            throw new Error(`tsup failed in ${dir}:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`)
          })
          writeFileSync(stampFile, stamp)
        }
        return stamp
      })
    })()
    building.set(dir, done)
  }
  return done
}
