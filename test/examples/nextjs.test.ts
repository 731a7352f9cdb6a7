// examples/nextjs: `next build` with no keys in the environment (they are read
// at run time), then `next start -H 127.0.0.1` on a free port, driven over real
// HTTP by the real client: the sealed-API contract every example serves, the
// routes that read sealed headers and queries, and the scheme Next.js builds
// from a client's X-Forwarded-Proto refused as proof of TLS.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createClient, SealwireHttpError } from '@sealwire/client'
import { generateKeyPair, importRecipientKey, sealRequest } from '@sealwire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeSealedApi, repoRoot } from './support.js'

const exampleDir = join(repoRoot, 'examples/nextjs')
const nextBin = join(exampleDir, 'node_modules/.bin/next')
/** No telemetry, no update notice; nothing about keys: the build must not need them. */
const buildEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' }
delete buildEnv.SEALWIRE_PRIVATE_JWKS

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  })

let child: ChildProcess | undefined
let started: Promise<string> | undefined
let output = ''

/** Builds once and starts once; every describe below shares the server. */
function nextApp(): Promise<string> {
  started ??= (async () => {
    await promisify(execFile)(nextBin, ['build'], { cwd: exampleDir, env: buildEnv, timeout: 420_000, maxBuffer: 8 * 1024 * 1024 })
    const keys = { keys: [(await generateKeyPair('P-256')).privateJwk, (await generateKeyPair('X25519')).privateJwk] }
    const port = await freePort()
    child = spawn(nextBin, ['start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: exampleDir,
      env: { ...buildEnv, SEALWIRE_PRIVATE_JWKS: JSON.stringify(keys), SEALWIRE_ALLOW_INSECURE_LOOPBACK: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const url = `http://127.0.0.1:${port}`
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}: ${output}`)
      try {
        await fetch(`${url}/.well-known/sealwire/jwks.json`)
        return url
      } catch {
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    throw new Error(`next start did not answer: ${output}`)
  })()
  return started
}

beforeAll(nextApp, 600_000)
afterAll(() => {
  child?.kill('SIGKILL')
})

describeSealedApi('examples/nextjs, next start on loopback', async () => ({ url: await nextApp(), fetch: globalThis.fetch, close: async () => {} }))

describe('examples/nextjs specifics', () => {
  it('GET /api/me: sealed Authorization accepted (200 {"user":"demo"}), else a sealed 401; GET /api/search answers the sealed query', async () => {
    const url = await nextApp()
    const api = createClient({ baseUrl: url })
    expect(await api.get('/api/me', { headers: { authorization: 'Bearer demo-token' } })).toEqual({ user: 'demo' })
    const err = await api.get('/api/me').then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SealwireHttpError)
    expect(err).toMatchObject({ status: 401 })
    expect(await api.get('/api/search?q=sealed%20query')).toEqual({ q: 'sealed query' })
  })

  it('a client-sent X-Forwarded-Proto: https over plain http is refused 403 insecure_transport, before any handler', async () => {
    const url = await nextApp()
    const jwks = (await (await fetch(`${url}/.well-known/sealwire/jwks.json`)).json()) as { keys: Array<{ crv: string }> }
    const recipient = await importRecipientKey(jwks.keys.find((k) => k.crv === 'P-256')!)
    for (const forged of [{ 'x-forwarded-proto': 'https' }, { forwarded: 'proto=https', 'x-forwarded-proto': 'https' }] as Record<string, string>[]) {
      const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/transfer' }, body: { to: 'alice', amount: 1 } })
      const res = await fetch(`${url}/api/transfer`, { method: 'POST', headers: { ...sealed.headers, ...forged }, body: sealed.httpBody! })
      expect(res.status).toBe(403)
      const problem = (await res.json()) as { code: string; detail: string }
      expect(problem.code).toBe('insecure_transport')
      // It says what is missing, not the option that is already on.
      expect(problem.detail).toMatch(/Next\.js builds the request URL from X-Forwarded-Proto/)
      expect(problem.detail).toMatch(/trustedProxies/)
    }
  })

  it('a forged X-Forwarded-For naming a remote client (a tunnel on this machine) is not local: refused', async () => {
    const url = await nextApp()
    const res = await fetch(`${url}/api/ping`, { headers: { 'sealwire-envelope': 'a.b.c.d.e', 'x-forwarded-for': '203.0.113.9' } })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { code: string }).code).toBe('insecure_transport')
  })
})
