/**
 * The fetch adapter and the client in the runtimes people deploy them to,
 * besides Node (test/server) and Chromium (test/client/browser.test.ts): Bun,
 * Deno and workerd through Miniflare, each installed from the npm registry
 * with its binary (test/package.json). One scenario (fixtures/scenario.ts) is
 * bundled here with tsup/esbuild, as an app would be, and run in each over
 * real HTTPS on 127.0.0.1 (port 0), server and client both in the runtime:
 *
 * - Bun: `Bun.serve({ tls })` and Bun's fetch, in one `bun` process;
 * - Deno: `Deno.serve({ cert, key })` and Deno's fetch, in one `deno` process
 *   allowed the loopback network and nothing else;
 * - workerd: Miniflare serves the server Worker on its https socket, and a
 *   second Worker runs the client with workerd's outbound fetch.
 *
 * The client discovers the server's keys from its JWK Set endpoint, then: a
 * sealed round trip (the answer on the wire is a JWE compact serialization,
 * `application/jose`, no plaintext), the same envelope replayed (refused,
 * 409), a ciphertext with one character changed (refused, 400
 * decryption_failed). TLS, not `allowInsecureLoopback`: the server runs with
 * its defaults, as deployed; the runtimes trust the test's self-signed
 * certificate (test/server/helpers/tls.ts) the way each documents.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebBundle } from '../helpers/web-bundle.js'
import { testCertificate, type TestCertificate } from '../server/helpers/tls.js'
import type { LoopbackResult } from './fixtures/loopback-entry.js'
import type { ScenarioResult } from './fixtures/scenario.js'
import { RUN_TIMEOUT, bin, denoEnv, resultLine, runOptions } from './runtime-process.js'

const run = promisify(execFile)
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const require = createRequire(import.meta.url)

let outDir: string
let certificate: TestCertificate
let certFile: string
let keyFile: string
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'sealwire-runtimes-'))
  certificate = await testCertificate()
  certFile = join(outDir, 'cert.pem')
  keyFile = join(outDir, 'key.pem')
  writeFileSync(certFile, certificate.cert)
  writeFileSync(keyFile, certificate.key, { mode: 0o600 })
  // One ESM bundle per kind of entry, for a web platform: no Node built-ins may leak in.
  await buildWebBundle({ cli: here('fixtures/cli-entry.ts'), loopback: here('fixtures/loopback-entry.ts'), worker: here('fixtures/worker-entry.ts'), 'client-worker': here('fixtures/client-worker-entry.ts') }, outDir)
}, 120_000)
/** The Miniflare of the workerd test while it runs: disposed here too if the test timed out before its own `finally`. */
let miniflare: { dispose(): Promise<void> } | undefined
afterAll(async () => {
  await miniflare?.dispose()
  rmSync(outDir, { recursive: true, force: true })
})

/** A JWE in compact serialization (RFC 7516 §7.1): five base64url parts, the IV and tag never empty. */
const JWE_COMPACT = /^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/

function expectScenario(result: ScenarioResult, runtime: string): void {
  expect(result.runtime).toBe(runtime)
  // Keys discovered over the network first, then the sealed request, replay and tamper go around the client.
  expect(result.requests).toEqual(['GET /.well-known/sealwire/jwks.json', 'POST /api/echo'])
  expect(result.roundTrip).toEqual({ echo: { runtime, amount: 42 }, htm: 'POST' })
  // Sealed both ways on the wire: what crossed the socket is a JWE and nothing else, so no JSON
  // (base64url has no quote, brace or colon) and none of the plaintext.
  const { requestBody, status, contentType, responseBody } = result.wire
  expect(requestBody).toMatch(JWE_COMPACT)
  expect(status).toBe(200)
  expect(contentType).toMatch(/^application\/jose\b/)
  expect(responseBody).toMatch(JWE_COMPACT)
  // After decryption the refusal is sealed to the requester: status 409, body an envelope.
  expect(result.replay).toEqual({ status: 409, code: 'sealed' })
  expect(result.tamper).toEqual({ status: 400, code: 'decryption_failed' })
}

/** The result line a runtime printed (the last one: a runtime may print a notice before it). */
describe('real runtimes over HTTPS on loopback: sealed round trip, replay refused, tamper refused', () => {
  it('Bun', async () => {
    // NODE_EXTRA_CA_CERTS: Bun's fetch trusts the test certificate as Node's would.
    const { stdout } = await run(bin('bun'), ['run', join(outDir, 'cli.js'), certFile, keyFile], {
      ...runOptions,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile },
    })
    expectScenario(resultLine<ScenarioResult>(stdout), 'bun')
  }, RUN_TIMEOUT + 10_000)

  it('Deno', async () => {
    // Allowed: the loopback network (serve and fetch) and reading the two PEM files, nothing else.
    // --cert: Deno's fetch trusts the test certificate.
    const permissions = ['--no-prompt', '--allow-net=127.0.0.1', `--allow-read=${certFile},${keyFile}`]
    const { stdout } = await run(bin('deno'), ['run', ...permissions, '--cert', certFile, join(outDir, 'cli.js'), certFile, keyFile], {
      ...runOptions,
      env: denoEnv,
    })
    expectScenario(resultLine<ScenarioResult>(stdout), 'deno')
  }, RUN_TIMEOUT + 10_000)

  it('workerd (Miniflare)', async () => {
    const { Miniflare } = require('miniflare') as typeof import('miniflare')
    const compatibilityDate = '2025-01-01'
    // Scripts as text: workerd refuses a module path outside its working directory.
    const mf = (miniflare = new Miniflare({
      host: '127.0.0.1',
      port: 0,
      httpsKey: certificate.key,
      httpsCert: certificate.cert,
      workers: [
        // The first Worker is the one Miniflare's socket serves.
        { name: 'server', modules: true, script: readFileSync(join(outDir, 'worker.js'), 'utf8'), compatibilityDate },
        {
          name: 'client',
          modules: true,
          script: readFileSync(join(outDir, 'client-worker.js'), 'utf8'),
          compatibilityDate,
          // Its fetch goes out through workerd's network service: loopback allowed, the test certificate trusted.
          outboundService: { network: { allow: ['local'], tlsOptions: { trustedCertificates: [certificate.cert] } } },
        },
      ],
    }))
    try {
      const origin = (await mf.ready).origin
      expect(origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      // Typed by Miniflare with workers-types that do not resolve here; it is a fetch.
      const client = (await mf.getWorker('client')) as unknown as { fetch(url: string): Promise<Response> }
      const response = await client.fetch(`http://client.test/?origin=${encodeURIComponent(origin)}`)
      const result = (await response.json()) as ScenarioResult & { error?: string }
      expect(result.error).toBeUndefined()
      expect(response.status).toBe(200)
      expectScenario(result, 'workerd')
    } finally {
      miniflare = undefined
      await mf.dispose()
    }
  }, RUN_TIMEOUT)
})

describe('Bun and Deno tell the adapter the peer address: no `peer` option needed', () => {
  // Plain http on 127.0.0.1 with allowInsecureLoopback, and a guard keyed by client address:
  // both need the peer, which the app does not pass; each runtime hands it to the handler.
  const expectLoopback = (result: LoopbackResult, runtime: string) => expect(result).toEqual({ runtime, guardBuilt: true, echo: { echo: { runtime } } })

  it('Bun: server.requestIP', async () => {
    const { stdout } = await run(bin('bun'), ['run', join(outDir, 'loopback.js')], runOptions)
    expectLoopback(resultLine<LoopbackResult>(stdout), 'bun')
  }, RUN_TIMEOUT + 10_000)

  it('Deno: info.remoteAddr', async () => {
    const { stdout } = await run(bin('deno'), ['run', '--no-prompt', '--allow-net=127.0.0.1', join(outDir, 'loopback.js')], { ...runOptions, env: denoEnv })
    expectLoopback(resultLine<LoopbackResult>(stdout), 'deno')
  }, RUN_TIMEOUT + 10_000)
})
