/**
 * The packages as a user gets them: `pnpm pack` tarballs (workspace:* resolved
 * to versions, only the published files), installed with npm into a fresh app
 * in a temporary folder outside the workspace, so nothing resolves through the
 * monorepo's node_modules. Dependencies (jose, zod, express, …) come from the
 * npm registry, as for any user.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { buildPackage, PACKAGE_DIRS } from './build-packages.js'
import { REPO_ROOT } from './vectors.js'

const run = promisify(execFile)

/**
 * The environment of a user's shell: without the npm_* / pnpm variables the
 * test runner was started with (a pnpm-specific npm_config_* would be read by
 * npm as its own configuration).
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|PNPM_|VITEST|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$)/i.test(name)) env[name] = value
  }
  return { ...env, NO_COLOR: '1', ...extra }
}

/** Builds the five packages (once across test files) and packs each with pnpm into `dest`. Tarball paths by package name. */
export async function packTarballs(dest: string): Promise<Record<string, string>> {
  for (const dir of Object.values(PACKAGE_DIRS)) await buildPackage(dir)
  const tarballs: Record<string, string> = {}
  for (const [name, dir] of Object.entries(PACKAGE_DIRS)) {
    const before = new Set(readdirSync(dest))
    // pnpm, not npm: only pnpm rewrites `workspace:*` to the version at pack time.
    await run('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', dest], { cwd: join(REPO_ROOT, dir), env: userEnv(), timeout: 120_000 })
    const made = readdirSync(dest).filter((file) => file.endsWith('.tgz') && !before.has(file))
    if (made.length !== 1) throw new Error(`pnpm pack in ${dir} made ${made.length} tarballs: ${made.join(', ')}`)
    tarballs[name] = join(dest, made[0]!)
  }
  return tarballs
}

/** A new app folder in the system temp dir, provably outside the repository. */
export function freshAppDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  if ((dir + '/').startsWith(realpathSync(REPO_ROOT) + '/')) throw new Error(`${dir} is inside the repository: set TMPDIR elsewhere`)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sealwire-fresh-app', private: true, type: 'module' }, null, 2))
  return dir
}

/** `npm install` of `specs` (tarball paths, registry packages) into `app`, as a user would. */
export async function npmInstall(app: string, specs: string[]): Promise<void> {
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: app, env: userEnv(), timeout: 300_000 }).catch(
    (error: { stderr?: string }) => {
      throw new Error(`npm install failed in ${app}:\n${error.stderr ?? String(error)}`)
    },
  )
}

/** Where npm took each installed @sealwire package from (package-lock.json `resolved`). */
export function resolvedFrom(app: string): Record<string, string | undefined> {
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> }
  return Object.fromEntries(
    Object.entries(lock.packages)
      .filter(([path]) => path.startsWith('node_modules/@sealwire/'))
      .map(([path, entry]) => [path.slice('node_modules/'.length), entry.resolved]),
  )
}

/** A long-running child (a server): its output so far, a wait for a line, a stop. */
export interface Child {
  output(): string
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>
  stop(): void
}

/** Starts `node args…` in `cwd` with a user's environment. */
export function startNode(cwd: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, args, { cwd, env: userEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const onData = (chunk: Buffer) => (out += chunk.toString())
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  return {
    output: () => out,
    waitFor: (pattern, ms = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out)
          if (match !== null) return done(() => resolve(match))
          if (child.exitCode !== null) return done(() => reject(new Error(`exited ${child.exitCode} before ${pattern}:\n${out}`)))
        }
        const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${out}`))), ms)
        const done = (settle: () => void) => {
          clearTimeout(timer)
          child.stdout.off('data', check)
          child.stderr.off('data', check)
          child.off('exit', check)
          settle()
        }
        child.stdout.on('data', check)
        child.stderr.on('data', check)
        child.on('exit', check)
        check()
      }),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** Runs `node args…` in `cwd` to its end; stdout, stderr and the exit code. */
export async function runNode(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, args, { cwd, env: userEnv(env), timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof error.code === 'number' ? error.code : 1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  )
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl as a user would: key.pem and cert.pem in `dir`. */
export async function selfSignedCertificate(dir: string): Promise<void> {
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { cwd: dir, timeout: 30_000 })
}
