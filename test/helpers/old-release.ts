/**
 * The last release before the sealed head (wire protocol v1 without it), built
 * from git so compatibility tests run the real old code against the current
 * one: no re-implementation of how an old peer behaves.
 *
 * `git archive` copies the release's core, client and server sources, and its
 * own build plugin (examples/workspace-sources.ts, which maps `@sealwire/*` and
 * core's `#platform` to those sources), into a directory under the OS tmpdir;
 * esbuild bundles them into one ESM file for Node, with the npm dependencies
 * (jose, zod, …) taken from this checkout's install, since the archive has no
 * node_modules. The bundle is imported, then the directory is removed. No
 * network: the commit must be in the clone's history.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { build, type Plugin } from 'esbuild'
import { REPO_ROOT } from './vectors.js'

const run = promisify(execFile)

/** The last release without the sealed head ("Bench: one HttpCaseSpec type, …"). */
export const LAST_RELEASE = '54a1108a097347d1fbcba8fb30dc8f02dc8f9e45'

/** The last release without sealed streams (docs/PROTOCOL.md §12): sessions, the sealed head, no `str`. */
export const LAST_RELEASE_BEFORE_STREAMS = 'af05189f92e4a0e0ae085deb15b23fd9de206420'

/**
 * What the compatibility tests call on the old release, typed as the current
 * packages type it: these calls have the same shape in both (a change would
 * surface as a failing test, not a silent pass).
 */
export interface OldRelease {
  KeyRing: typeof import('@sealwire/core').KeyRing
  createSealwireServer: typeof import('@sealwire/server').createSealwireServer
  sealwireExpress: typeof import('@sealwire/server/express').sealwireExpress
  createClient: typeof import('@sealwire/client').createClient
}

/** What the bundle exports: the names of `OldRelease`, from the old sources. */
const ENTRY = `export { KeyRing } from '@sealwire/core'
export { createSealwireServer } from '@sealwire/server'
export { sealwireExpress } from '@sealwire/server/express'
export { createClient } from '@sealwire/client'
`

/**
 * Whether the last release can be built here: its commit is in this clone.
 * A shallow clone lacks it; on a developer's machine the suite is then skipped
 * with a loud message naming the fix, under CI (`CI=true`) it is an error, so
 * CI can never pass by skipping.
 */
export function lastReleaseAvailable(commit = LAST_RELEASE): boolean {
  try {
    execFileSync('git', ['-C', REPO_ROOT, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' })
    return true
  } catch {
    const message = `commit ${commit.slice(0, 7)} (a release the compatibility tests run against) is not in this clone: fetch the full history with \`git fetch --unshallow\`, or clone without --depth`
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true: the compatibility tests must run)`)
    console.warn(`\n⚠️  SKIPPING: ${message}\n`)
    return false
  }
}

const loading = new Map<string, Promise<OldRelease>>()

/** The last release's core, client and server, built once per test file. */
export function loadLastRelease(): Promise<OldRelease> {
  return loadRelease(LAST_RELEASE)
}

/** The release at `commit` (in this clone's history), built once per test file. */
export function loadRelease(commit: string): Promise<OldRelease> {
  let release = loading.get(commit)
  if (release === undefined) loading.set(commit, (release = buildRelease(commit)))
  return release
}

async function buildRelease(commit: string): Promise<OldRelease> {
  const dir = mkdtempSync(join(tmpdir(), `sealwire-release-${commit.slice(0, 7)}-`))
  try {
    const archive = join(dir, 'release.tar')
    await run('git', ['-C', REPO_ROOT, 'archive', '--format=tar', '-o', archive, commit, 'packages/core/src', 'packages/client/src', 'packages/server/src', 'examples/workspace-sources.ts'])
    await run('tar', ['-xf', archive, '-C', dir])
    // The release's own mapping of `@sealwire/*` to its sources, resolved from where it now lies.
    const { workspaceSources } = (await import(pathToFileURL(join(dir, 'examples/workspace-sources.ts')).href)) as { workspaceSources: Plugin }
    const entry = join(dir, 'entry.ts')
    writeFileSync(entry, ENTRY)
    const outfile = join(dir, 'release.mjs')
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      plugins: [workspaceSources],
      // The archive has no node_modules: the packages' dependencies as this checkout installed them.
      nodePaths: ['core', 'client', 'server'].map((pkg) => join(REPO_ROOT, 'packages', pkg, 'node_modules')),
    })
    return (await import(pathToFileURL(outfile).href)) as OldRelease
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
