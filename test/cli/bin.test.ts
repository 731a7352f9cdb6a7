import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyRing, decodeProtectedHeader, openRequest, sealResponse, thumbprint, type PrivateJwk, type PublicJwk } from '@sealwire/core'
import { requireSystemProgram } from '../helpers/system.js'
import { STACK_LINE, spawnResult, startSealwireServer, type Result } from './helpers.js'

// The real executable: built with the package's own tsup config, run with node
// in a child process, the way `npx sealwire` or an installed bin runs it.
// Built into a folder of its own inside the package (so jose and zod resolve
// from the package's node_modules), not into dist: the dual-package suite
// rebuilds dist at the same time, and a bin rewritten while a child loads it
// would make both suites flaky.
const root = fileURLToPath(new URL('../../', import.meta.url))
const cliDir = join(root, 'packages/cli')
const pkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> }

let dir: string
let buildRoot: string
let bin: string
// No SEALWIRE_DEBUG inherited: the default output is what is under test.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'SEALWIRE_DEBUG'))
const sealwire = (args: string[], input?: string): Promise<Result> => spawnResult(process.execPath, [bin, ...args], { cwd: dir, env, ...(input === undefined ? {} : { input }) })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealwire-bin-'))
  // `.test-build-*/dist/` is git-ignored (dist/), like the package's own dist.
  buildRoot = mkdtempSync(join(cliDir, '.test-build-'))
  bin = join(buildRoot, pkg.bin.sealwire!)
  const build = await spawnResult(join(root, 'node_modules/.bin/tsup'), ['--out-dir', join(buildRoot, 'dist')], { cwd: cliDir })
  expect(build.code, build.stderr).toBe(0)
}, 180_000)

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
  if (buildRoot !== undefined) rmSync(buildRoot, { recursive: true, force: true })
})

describe('the built sealwire executable', () => {
  it('is the package bin: ESM with a hashbang, executable, runs on its own', async () => {
    expect(pkg.bin).toEqual({ sealwire: './dist/bin.js' })
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    expect(statSync(bin).mode & 0o111).not.toBe(0)
    const r = await spawnResult(bin, ['--version'], { cwd: dir, env })
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' })
  })

  it('has --help for every command, and exits 2 on a usage error without a stack trace', async () => {
    for (const command of [[], ['keys'], ['keys', 'generate'], ['keys', 'public'], ['inspect'], ['seal'], ['open']]) {
      const r = await sealwire([...command, '--help'])
      expect(r.code, command.join(' ')).toBe(0)
      expect(r.stdout).toMatch(command.length === 0 ? /^sealwire \d/ : new RegExp(`^Usage: sealwire ${command.join(' ')}`))
    }
    const usage = await sealwire(['seal', '--target'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain("sealwire seal: Option '--target <value>' argument missing")
    expect(usage.stderr).not.toMatch(STACK_LINE)
  })

  it('keys generate → 0600 file → keys public → seal → open the request → core seals a response → open it', async () => {
    // keys generate
    const gen = await sealwire(['keys', 'generate', '--out', 'server.jwks.json'])
    expect(gen.code, gen.stderr).toBe(0)
    expect(gen.stdout).toBe('')
    expect(statSync(join(dir, 'server.jwks.json')).mode & 0o777).toBe(0o600)
    const privateSet = JSON.parse(readFileSync(join(dir, 'server.jwks.json'), 'utf8')) as { keys: PrivateJwk[] }
    expect(privateSet.keys.map((k) => k.crv)).toEqual(['P-256', 'X25519'])
    expect((await sealwire(['keys', 'generate', '--out', 'server.jwks.json'])).code).toBe(1)

    // keys public
    const pub = await sealwire(['keys', 'public', 'server.jwks.json'])
    expect(pub.code, pub.stderr).toBe(0)
    const publicSet = JSON.parse(pub.stdout) as { keys: PublicJwk[] }
    for (const key of publicSet.keys) {
      expect(key).not.toHaveProperty('d')
      expect(key.kid).toBe(await thumbprint(key))
    }
    writeFileSync(join(dir, 'public.jwks.json'), pub.stdout)
    expect((await sealwire(['keys', 'public', '-'], '{"keys":[{"kty":"oct","k":"AAAA"}]}')).code).toBe(1)

    // seal
    const sealed = await sealwire(['seal', '--jwks', 'public.jwks.json', '--method', 'POST', '--target', '/api/echo', '--data', '{"amount":42}', '--reply-out', 'reply.json'])
    expect(sealed.code, sealed.stderr).toBe(0)
    expect(statSync(join(dir, 'reply.json')).mode & 0o777).toBe(0o600)
    const envelope = sealed.stdout.trim()
    expect(decodeProtectedHeader(envelope)).toMatchObject({ typ: 'sealwire-req+jwe', htm: 'POST', htu: '/api/echo' })
    expect((await sealwire(['seal', '--jwks', 'public.jwks.json', '--target', '/api/echo', '--data', 'nope'])).code).toBe(2)

    // open the request (stdin), as a server would
    const opened = await sealwire(['open', '--keys', 'server.jwks.json', '--method', 'POST', '--target', '/api/echo', '-'], envelope)
    expect(opened.code, opened.stderr).toBe(0)
    expect(opened.stdout).toContain('"amount": 42')
    expect(opened.stderr).toContain('no replay store')
    const wrong = await sealwire(['open', '--keys', 'server.jwks.json', '--method', 'POST', '--target', '/api/other', envelope])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/^sealwire open: binding_mismatch: /)

    // core seals a response to it, the CLI opens it
    const server = await openRequest(envelope, { keyRing: await KeyRing.from(privateSet), replayStore: { checkAndSet: async () => true }, request: { method: 'POST', target: '/api/echo' } })
    const response = await sealResponse({ reply: server.reply, status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, got: server.body }) })
    const res = await sealwire(['open', '--reply', 'reply.json', '--status', '200', response])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/^status\s+200\ncontent-type\s+application\/json\n/)
    expect(res.stdout).toContain('"amount": 42')
    const mismatch = await sealwire(['open', '--reply', 'reply.json', '--status', '500', response])
    expect(mismatch.code).toBe(1)
    expect(mismatch.stderr).toContain('response_binding_mismatch')
    expect(mismatch.stderr).not.toMatch(STACK_LINE)
  })

  it('inspects a real envelope, and refuses garbage with exit 1', async () => {
    const gen = await sealwire(['keys', 'generate', '--curve', 'P-256'])
    writeFileSync(join(dir, 'p256.jwks.json'), gen.stdout)
    const envelope = (await sealwire(['seal', '--jwks', 'p256.jwks.json', '--target', '/api/ping'])).stdout.trim()
    const r = await sealwire(['inspect', envelope])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('sealwire request envelope')
    expect(r.stdout).toMatch(/epk\s+P-256/)
    expect(r.stdout).toMatch(/htm htu\s+GET \/api\/ping/)
    expect(r.stdout).toMatch(/iat\s+\d+ = .*(now|\d+ s ago) \(within the 60 s \/ 5 s window\)/)
    const json = JSON.parse((await sealwire(['inspect', '--json', '-'], envelope)).stdout) as { kind: string; iat: { fresh: boolean } }
    expect(json).toMatchObject({ kind: 'request', iat: { fresh: true } })
    const garbage = await sealwire(['inspect', 'definitely.not.a.jwe'])
    expect(garbage.code).toBe(1)
    expect(garbage.stderr).toMatch(/^sealwire inspect: malformed_envelope: Envelope must have five base64url parts\n/)
    expect(garbage.stderr).not.toMatch(STACK_LINE)
    expect(garbage.stdout).toBe('')
  })
})

describe('sealwire with curl against a Sealwire server', () => {
  const curl = requireSystemProgram('curl', 'apt-get install -y curl')
  let server: Awaited<ReturnType<typeof startSealwireServer>>
  beforeAll(async () => {
    const gen = await sealwire(['keys', 'generate'])
    server = await startSealwireServer(JSON.parse(gen.stdout) as { keys: unknown[] })
  })
  afterAll(() => server?.close())

  it.skipIf(curl === undefined)('seal --curl prints a command that gets a sealed answer, which open --reply reads from curl -i', async () => {
    for (const [method, data] of [['POST', '{"hello":"curl"}'], ['GET', undefined]] as const) {
      const sealed = await sealwire([
        'seal', '--jwks', server.origin, '--method', method, '--target', '/api/echo?via=curl', ...(data === undefined ? [] : ['--data', data]),
        '--reply-out', 'curl-reply.json', '--curl', server.origin,
      ])
      expect(sealed.code, sealed.stderr).toBe(0)
      expect(sealed.stdout).toMatch(/^curl -sS -i /)
      const sent = await spawnResult('/bin/sh', ['-c', sealed.stdout], { cwd: dir, env })
      expect(sent.code, sent.stderr).toBe(0)
      expect(sent.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      const opened = await sealwire(['open', '--reply', 'curl-reply.json'], sent.stdout)
      expect(opened.code, opened.stderr).toBe(0)
      expect(opened.stderr).toBe('')
      expect(opened.stdout).toMatch(/^status\s+200\n/)
      expect(opened.stdout).toContain(`"htm": "${method}"`)
      expect(opened.stdout).toContain('"htu": "/api/echo?via=curl"')
      if (data !== undefined) expect(opened.stdout).toContain('"hello": "curl"')

      // Sent twice, the envelope is refused as a replay, sealed: open shows the 409 problem.
      const again = await spawnResult('/bin/sh', ['-c', sealed.stdout], { cwd: dir, env })
      const replay = await sealwire(['open', '--reply', 'curl-reply.json'], again.stdout)
      expect(replay.code).toBe(0)
      expect(replay.stdout).toMatch(/^status\s+409\ncontent-type\s+application\/problem\+json\n/)
      expect(replay.stdout).toContain('"code": "replayed_request"')
    }
  })
})
