// The built reference app as people run it: `pnpm demo` (dist/demo.js) and
// `pnpm serve:example` (dist/main.js), as child processes, built first with
// the example's own tsup config. This is how CI runs the demo.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createClient } from '@sealwire/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeySet, pinnedFetch } from '../../examples/express/src/index.js'
import { repoRoot } from './support.js'

const run = promisify(execFile)
const exampleDir = join(repoRoot, 'examples/express')
let dir: string
const children: ChildProcess[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealwire-example-demo-'))
  // The example's build only (its tsup config bundles the workspace sources): no build of packages/* needed.
  await run(join(repoRoot, 'node_modules/.bin/tsup'), ['--silent'], { cwd: exampleDir, timeout: 240_000 })
}, 300_000)

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

interface Finished {
  code: number | null
  out: string
}

/** Runs a built script of the example to its end. */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(exampleDir, 'dist', script)], { cwd: exampleDir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let out = ''
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, out }))
  })
}

const portClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })

describe('pnpm demo (examples/express dist/demo.js)', () => {
  it('exits 0 after a complete, readable session, and stops its server', async () => {
    const { code, out } = await runScript('demo.js', { SEALWIRE_KEYS_FILE: join(dir, 'demo-keys.json') })
    expect(out).toContain('Sealwire demo')
    expect(code, out).toBe(0)

    const steps = [
      '1. Key discovery',
      '2. Encrypted POST /api/echo',
      '3. Encrypted GET /api/ping',
      '4. Sealed head: GET /api/me and GET /api/search?q=…',
      '5. Encrypted POST /api/transfer',
      '6. Replay',
      '7. Tampered envelope',
      '8. Schema violation',
      '9. Plain JSON to a protected route',
      '10. Sealed event stream: GET /api/events?n=5&interval=200',
      '11. Session: one key agreement',
      '12. Within the session: no key agreement',
    ]
    let at = -1
    for (const s of steps) {
      const next = out.indexOf(s)
      expect(next, s).toBeGreaterThan(at)
      at = next
    }
    expect(out).toMatch(/over TLSv1\.3/)
    expect(out).toMatch(/P-256 +kid [\w-]{43}/)
    expect(out).toMatch(/X25519 +kid [\w-]{43}/)
    // What was sent (plaintext and a shortened envelope) and what came back.
    expect(out).toMatch(/plaintext +\{"message":"hello, sealed world","card":"4111 1111 1111 1111"\}/)
    expect(out).toMatch(/eyJ[\w-]{53}…[\w-]{16} \(\d+ chars\)/)
    expect(out).toMatch(/envelope in the header Sealwire-Envelope/)
    expect(out).toMatch(/decrypted +200 application\/json; charset=utf-8 \{"message":"hello, sealed world","card":"4111 1111 1111 1111"\}/)
    expect(out).toMatch(/decrypted +200 \{"pong":true\}/)
    expect(out).toMatch(/decrypted +200 \{"ok":true\}/)
    // The sealed head: what the handlers read, and a wire that shows the path only.
    const head = out.slice(out.indexOf('4. Sealed head'), out.indexOf('5. Encrypted POST'))
    expect(head).toMatch(/on the wire +GET \/api\/me — envelope in the header Sealwire-Envelope/)
    expect(head).toMatch(/on the wire +GET \/api\/search — envelope in the header Sealwire-Envelope/)
    expect(head).toMatch(/htu \/api\/search · iat \d+ · jti \S+ · shd 1 · crit shd/)
    expect(head).toMatch(/decrypted +200 \{"user":"demo"\}/)
    expect(head).toMatch(/decrypted +200 \{"q":"acquisition of Initech, closing 2027-03"\}/)
    expect(head).toMatch(/✔ the token and the query crossed the wire sealed: the request line carried the path only/)
    expect(head.match(/^ {3}(on the wire|header|came back) .*$/gm)!.join('\n')).not.toMatch(/demo-token|Initech/)
    expect(out).toMatch(/2nd copy +409 application\/jose/)
    expect(out).toMatch(/sender sees +409 application\/problem\+json .*"code":"replayed_request"/)
    expect(out).toMatch(/came back +400 application\/problem\+json .*"code":"decryption_failed"/)
    expect(out).toMatch(/decrypted +422 application\/problem\+json .*"code":"invalid_payload"/)
    expect(out).toMatch(/came back +415 application\/problem\+json .*"code":"unsupported_media_type"/)
    // The session: an epk and ses 1 first, then alg dir with the sid and no epk.
    expect(out).toMatch(/alg ECDH-ES · enc A256GCM · kid [\w-]{10}… \(X25519\) · epk · htm POST · htu \/api\/echo .* · ses 1 \(offers a session\)/)
    expect(out).toMatch(/alg dir · enc A256GCM · sid [\w-]{10}… \(no epk\) · htm GET · htu \/api\/ping/)
    // The event stream: records on the wire, events opened as they came.
    const events = out.slice(out.indexOf('10. Sealed event stream'), out.indexOf('11. Session'))
    expect(events).toMatch(/came back +200 application\/sealwire-stream/)
    expect(events).toMatch(/str [\w-]+/)
    expect(events.match(/^ {3}(records|) +\+ *\d+ ms +\d+ bytes +[0-9a-f]{32}…/gm)).toHaveLength(6)
    expect(events).toMatch(/decrypted +\+ *\d+ ms +data: \{"i":0\}/)
    expect(events).toMatch(/✔ 5 events in order, each opened as its record arrived/)
    expect(out.match(/✔/g)).toHaveLength(13)
    expect(out).not.toContain('✘')
    // The server's own log, shown at the end: outcomes, never a body.
    expect(out).toMatch(/POST \/api\/transfer → 200[^]*refused: replayed_request\n.*POST \/api\/transfer → 409/)
    expect(out).not.toMatch(/What the server logged[\s\S]*4111/)
    expect(out).toContain('All 12 steps behaved as expected')

    const port = Number(/https:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1])
    expect(await portClosed(port)).toBe(true)
  })

  it('exits non-zero, naming the step, when the server does not behave as expected', async () => {
    // A server with a P-256 key only: discovery must find both curves, so step 1 fails; the rest still run.
    const { keys } = await generateKeySet()
    const { code, out } = await runScript('demo.js', { SEALWIRE_PRIVATE_JWKS: JSON.stringify({ keys: [keys.find((k) => k.crv === 'P-256')] }) })
    expect(code, out).toBe(1)
    expect(out).toMatch(/✘ a P-256 and an X25519 key.*NOT as expected/)
    expect(out).toContain('1 step(s) did not behave as expected')
    expect(out).toMatch(/- step 1: /)
  })
})

describe('pnpm serve:example (examples/express dist/main.js)', () => {
  /** Starts main.js and waits for its start-up banner. */
  async function start(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [join(exampleDir, 'dist/main.js')], { cwd: exampleDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let out = ''
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (c: Buffer) => {
        out += c.toString()
        const match = /listening on (https:\/\/\S+)/.exec(out)
        // The banner's last line: everything about keys and certificate is printed by then.
        if (match && out.includes('Ctrl-C stops it.')) resolve(match[1]!)
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      exited.then((code) => reject(new Error(`main.js exited (${code}) before listening:\n${out}`)))
    })
    return { child, url, output: () => out, exited }
  }

  it('serves the contract over HTTPS, persists its keys, writes its certificate for pinning, and stops on SIGTERM', async () => {
    const keysFile = join(dir, 'serve', '.sealwire', 'private-jwks.json')
    const certFile = join(dir, 'serve-cert.pem')
    const env = { PORT: '0', SEALWIRE_KEYS_FILE: keysFile, SEALWIRE_CERT_FILE: certFile, SEALWIRE_PRIVATE_JWKS: '' }

    const first = await start(env)
    expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(first.output()).toMatch(/generated now, saved to .*private-jwks\.json \(mode 600\)/)
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600)
    const fetch = pinnedFetch(await readFile(certFile, 'utf8'))

    const jwks = (await (await fetch(`${first.url}/.well-known/sealwire/jwks.json`)).json()) as { keys: Array<{ crv: string; kid: string }> }
    expect(jwks.keys.map((k) => k.crv).sort()).toEqual(['P-256', 'X25519'])
    const plain = await fetch(`${first.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
    expect(plain.status).toBe(415)
    expect(((await plain.json()) as { code: string }).code).toBe('unsupported_media_type')
    const api = createClient({ baseUrl: first.url, fetch })
    expect(await api.post('/api/echo', { a: 1 })).toEqual({ a: 1 })
    expect(await api.get('/api/ping')).toEqual({ pong: true })
    expect(await api.post('/api/transfer', { to: 'alice', amount: 42 })).toEqual({ ok: true })
    expect((await fetch(`${first.url}/`)).status).toBe(200)
    expect((await fetch(`${first.url}/sealwire-client.min.js`)).status).toBe(200)

    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(first.output()).toMatch(/POST \/api\/echo → 415 application\/problem\+json/)
    expect(first.output()).toMatch(/POST \/api\/transfer → 200 application\/jose/)
    expect(first.output()).not.toContain('alice')

    // Restarted: the same keys (clients' cached JWK Sets stay valid), a new certificate.
    const second = await start(env)
    try {
      expect(second.output()).toMatch(/loaded from .*private-jwks\.json/)
      const again = (await (await pinnedFetch(await readFile(certFile, 'utf8'))(`${second.url}/.well-known/sealwire/jwks.json`)).json()) as typeof jwks
      expect(again.keys.map((k) => k.kid)).toEqual(jwks.keys.map((k) => k.kid))
    } finally {
      second.child.kill('SIGTERM')
      expect(await second.exited).toBe(0)
    }
  })

  it('refuses a bad PORT with a message, not a stack', async () => {
    const { code, out } = await runScript('main.js', { PORT: 'eighty', SEALWIRE_KEYS_FILE: join(dir, 'unused.json') })
    expect(code).toBe(1)
    expect(out.trim()).toBe('Could not start the example: PORT must be an integer from 0 to 65535, got "eighty"')
  })
})
