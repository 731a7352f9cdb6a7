/**
 * The README's Quick start, run as written: its blocks are taken from
 * README.md (each follows a `<!-- quick-start: NAME -->` marker) and run in a
 * fresh folder outside the workspace, against the packed packages.
 *
 * One substitution only: `npm install @sealwire/…` installs the tarballs
 * instead of the registry's packages (not published from here), with the
 * tarballs of their own @sealwire dependencies on the same line, as the README
 * says to try them before publication. The `run` and `dev-run` blocks run
 * verbatim, three times each, on the README's ports (8443, 8080): the server
 * in the background, the client at once. The other checks start the scripts
 * themselves, with PORT=0 (a free port) and API_URL at what the server printed.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshAppDir, packTarballs, runNode, startNode, userEnv, type Child } from '../helpers/packed-app.js'
import { requireSystemProgram } from '../helpers/system.js'
import { REPO_ROOT } from '../helpers/vectors.js'

const run = promisify(execFile)
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')

/** The fenced block after `<!-- quick-start: name -->`. */
function block(name: string): string {
  const match = new RegExp(`<!-- quick-start: ${name.replace('.', '\\.')} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\`\\n`).exec(README)
  if (match === null) throw new Error(`README.md has no quick-start block "${name}"`)
  return match[1]!
}

const sh = (script: string, cwd: string) =>
  run('sh', ['-ec', script], { cwd, env: userEnv(), timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`failed in ${cwd}:\n${script}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`)
  })

const openssl = requireSystemProgram('openssl', 'apt-get install -y openssl')

/** Fails, naming the port, when something listens there: the README's blocks use fixed ports. */
async function expectPortFree(port: number): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const probe = createServer().once('error', () => resolve(true))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)))
  })
  if (inUse) throw new Error(`port ${port} is in use: the README's quick start listens there; stop what holds it`)
}

/**
 * Runs a shell block as a user's terminal would, in its own process group, to
 * its end; then ends what it left in the background (the server) and waits for
 * it to go. The server's lines come first in stdout (it prints before it
 * answers): `log` is what it printed.
 */
async function runBlockAlone(script: string, cwd: string): Promise<{ stdout: string; stderr: string; log: string }> {
  const shell = spawn('sh', ['-e', '-c', script], { cwd, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  // The pipes end once every process of the group has exited (the server holds them too).
  const ended = Promise.all([shell.stdout, shell.stderr].map((stream) => new Promise((resolve) => stream.once('end', resolve))))
  const timer = setTimeout(() => process.kill(-shell.pid!, 'SIGKILL'), 60_000)
  // The shell's own exit is the end of the block; the server it started is still running.
  const code = await new Promise<number | null>((resolve) => shell.once('exit', resolve))
  clearTimeout(timer)
  try {
    process.kill(-shell.pid!, 'SIGTERM')
  } catch {
    // the group is gone already
  }
  await ended
  if (code !== 0) throw new Error(`the block exited ${code}:\n${script}\n${stdout}\n${stderr}`)
  const log = /^(listening on [^\n]*\n)?/.exec(stdout)![0]
  return { stdout, stderr, log }
}

describe.skipIf(openssl === undefined)('README Quick start, as written, against the packed packages', () => {
  let workDir: string
  let root: string
  let app: string
  const children: Child[] = []

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sealwire-quick-start-packs-'))
    const tarballs = await packTarballs(workDir)
    root = freshAppDir('sealwire-quick-start-')
    rmSync(join(root, 'package.json')) // the README's `npm init -y` makes it
    const named = new Set<string>()
    const install = block('install').replace(/@sealwire\/[a-z]+/g, (name) => {
      if (tarballs[name] === undefined) throw new Error(`the README installs ${name}, which is not one of the packages`)
      named.add(name)
      return tarballs[name]
    })
    // Their own dependencies on each other (@sealwire/core) would come from the registry too: the tarballs, added to the same line.
    const unnamed = Object.keys(tarballs).filter((name) => !named.has(name)).map((name) => tarballs[name]!)
    const withDeps = install.replace(/^(npm install .*)$/m, (line) => `${line} ${unnamed.join(' ')}`)
    expect(withDeps).not.toBe(install)
    await sh(withDeps, root)
    app = join(root, 'sealwire-quickstart')
    await sh(block('keys'), app)
    await sh(block('certificate'), app)
    for (const file of ['server.mjs', 'client.mjs', 'dev-server.mjs']) writeFileSync(join(app, file), block(file))
  }, 600_000)

  afterAll(() => {
    for (const child of children) child.stop()
    for (const dir of [workDir, root]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const start = (script: string, env: Record<string, string> = {}) => {
    const child = startNode(app, [script], { PORT: '0', ...env })
    children.push(child)
    return child
  }

  it('made the keys with the CLI: a private set (mode 0600) and the public set the client pins', () => {
    const privateSet = JSON.parse(readFileSync(join(app, 'server.jwks.json'), 'utf8')) as { keys: Array<{ crv: string; d?: string }> }
    expect(privateSet.keys.map((k) => [k.crv, typeof k.d])).toEqual([
      ['P-256', 'string'],
      ['X25519', 'string'],
    ])
    expect(statSync(join(app, 'server.jwks.json')).mode & 0o777).toBe(0o600)
    const publicSet = JSON.parse(readFileSync(join(app, 'server.public.json'), 'utf8')) as { keys: Array<Record<string, unknown>> }
    expect(publicSet.keys.map((k) => 'd' in k)).toEqual([false, false])
    expect(existsSync(join(app, 'cert.pem')) && existsSync(join(app, 'key.pem'))).toBe(true)
  })

  it.each([
    ['run', 8443],
    ['dev-run', 8080],
  ])('the `%s` block, as written, three times in a row: prints what the README shows', { timeout: 120_000 }, async (name, port) => {
    for (let round = 1; round <= 3; round++) {
      await expectPortFree(port)
      const { stdout, stderr, log } = await runBlockAlone(block(name), app)
      expect({ round, stderr }).toEqual({ round, stderr: '' })
      expect(stdout).toBe(`${log}${block('output')}`)
      expect(log).toMatch(new RegExp(`^listening on https?://127\\.0\\.0\\.1:${port}\\n$`))
    }
  })

  it('without allowInsecureLoopback: refused with 403, and both the client error and the server log say how to fix it', async () => {
    const strict = block('dev-server.mjs').replace(/^\s*allowInsecureLoopback: true,.*\n/m, '')
    expect(strict).not.toContain('allowInsecureLoopback')
    writeFileSync(join(app, 'strict-dev-server.mjs'), strict)
    const server = start('strict-dev-server.mjs')
    const [, url] = await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)\n/)
    for (let i = 0; i < 2; i++) {
      const client = await runNode(app, ['client.mjs'], { API_URL: url! })
      expect(client.code).not.toBe(0)
      expect(client.stderr).toMatch(/SealwireError: The server refused the request as not sent over TLS \(403 insecure_transport\)\..*trustedProxies.*allowInsecureLoopback: true/)
    }
    const log = server.output()
    expect(log.match(/\[sealwire\] refused a plain-HTTP request from 127\.0\.0\.1 with 403 insecure_transport/g)).toHaveLength(1)
    expect(log).toMatch(/trustedProxies.*allowInsecureLoopback: true/)
    server.stop()
  })

  it('a missing key file or variable fails at start-up naming it', async () => {
    writeFileSync(join(app, 'env-server.mjs'), block('server.mjs').replace("keysFromFile('server.jwks.json')", "keysFromEnv('SEALWIRE_PRIVATE_JWKS')").replace('keysFromFile }', 'keysFromEnv }'))
    const unset = await runNode(app, ['env-server.mjs'], { PORT: '0' })
    expect(unset.code).not.toBe(0)
    expect(unset.stderr).toContain('The environment variable SEALWIRE_PRIVATE_JWKS is not set')
    const elsewhere = join(app, 'elsewhere')
    mkdirSync(elsewhere)
    const missing = await runNode(elsewhere, ['../server.mjs'], { PORT: '0' })
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain(`Cannot read the private key file server.jwks.json (in ${elsewhere}): it does not exist: create it with \`npx @sealwire/cli keys generate --out server.jwks.json\``)
  })
})
