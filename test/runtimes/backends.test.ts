/**
 * Which crypto backend Bun and Deno get from core's `#platform` map, with no
 * option, and proof that it works there. The built package (tsup, as
 * published) is loaded by each runtime's own resolution, not bundled, so the
 * map's `bun` and `deno` conditions decide as they do in an app. The choice per
 * runtime was measured (test/bench/runtime-backends.ts, README "Bun and
 * Deno"); this test pins it and checks, inside each runtime:
 * - `defaultBackend.name`, and a sealed round trip on both curves (request and
 *   response) with key rings and recipients that name no backend;
 * - the Node-native backend against jose in that runtime, as
 *   test/crypto/differential.test.ts does on Node: native seals, jose opens,
 *   and the reverse, requests and responses, bodies of several sizes;
 * - envelopes crafted here on Node: a well-formed one opens with both backends;
 *   every X25519 low-order point (RFC 7748 §6.1), sealed under the all-zero
 *   secret an attacker would use, and P-256 points off the curve (SEC 1
 *   §3.2.2.1) are refused by both with decryption_failed.
 */
import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { generateKeyPair, toPublicJwk, type Curve, type PrivateJwk } from '@sealwire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPackage } from '../helpers/build-packages.js'
import { freshAppDir } from '../helpers/packed-app.js'
import {
  REPO_ROOT,
  VECTOR_NOW_MS,
  X25519_LOW_ORDER_POINTS,
  a256gcmCekFromSharedSecret,
  b64u,
  fromB64u,
  fromHex,
  requestHeaderJson,
  requestPlaintextJson,
  sealEcdhEs,
  sealWithCek,
} from '../helpers/vectors.js'
import type { BackendsInput, BackendsResult } from './fixtures/backends.js'
import { RUN_TIMEOUT, bin, denoEnv, resultLine, runOptions } from './runtime-process.js'

const run = promisify(execFile)
const CORE = join(REPO_ROOT, 'packages/core')

/**
 * An app outside the repository with core installed as published (its
 * package.json and dist; jose and zod linked), and the fixture beside it. Not
 * run in place: Bun applies the nearest tsconfig.json's `paths`, and the
 * repository's send `@sealwire/core` and `#platform` to the sources.
 */
function appWithBuiltCore(): string {
  const app = freshAppDir('sealwire-backends-')
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'sealwire-backends-app', private: true, type: 'module', dependencies: { '@sealwire/core': '*' } }))
  const installed = join(app, 'node_modules/@sealwire/core')
  mkdirSync(installed, { recursive: true })
  copyFileSync(join(CORE, 'package.json'), join(installed, 'package.json'))
  cpSync(join(CORE, 'dist'), join(installed, 'dist'), { recursive: true })
  for (const dependency of ['jose', 'zod']) symlinkSync(realpathSync(join(CORE, 'node_modules', dependency)), join(app, 'node_modules', dependency), 'dir')
  copyFileSync(fileURLToPath(new URL('./fixtures/backends.ts', import.meta.url)), join(app, 'backends.ts'))
  return app
}

/** What each runtime gets by default, as measured (README "Bun and Deno"). */
const EXPECTED = { bun: 'node', deno: 'node' } as const

let app: string | undefined
let input: BackendsInput
beforeAll(async () => {
  await buildPackage('packages/core')
  app = appWithBuiltCore()
  const keys = { X25519: (await generateKeyPair('X25519')).privateJwk, 'P-256': (await generateKeyPair('P-256')).privateJwk } as Record<Curve, PrivateJwk>
  const request = { method: 'POST', target: '/vectors' }
  const header = (curve: Curve, epk: unknown) => requestHeaderJson({ kid: keys[curve].kid, epk })
  const zeroCek = a256gcmCekFromSharedSecret(new Uint8Array(32))
  // Each low-order point with and without the top bit, which X25519 ignores (RFC 7748 §5).
  const lowOrderPoints = X25519_LOW_ORDER_POINTS.flatMap((hex) => {
    const u = fromHex(hex)
    const high = u.slice()
    high[31]! |= 0x80
    return [u, high]
  })
  const p256 = toPublicJwk(keys['P-256'])
  const yPlusOne = fromB64u(p256.y!)
  yPlusOne[31]! ^= 1
  const offCurvePoints = [
    { kty: 'EC', crv: 'P-256', x: p256.x, y: b64u(yPlusOne) },
    { kty: 'EC', crv: 'P-256', x: b64u(new Uint8Array(32)), y: b64u(new Uint8Array(32)) },
  ]
  input = {
    keys,
    now: VECTOR_NOW_MS,
    request,
    crafted: {
      wellFormed: {
        X25519: await sealEcdhEs(toPublicJwk(keys.X25519), (epk) => header('X25519', epk), requestPlaintextJson({ ok: true })),
        'P-256': await sealEcdhEs(p256, (epk) => header('P-256', epk), requestPlaintextJson({ ok: true })),
      },
      lowOrder: await Promise.all(lowOrderPoints.map((u) => sealWithCek(header('X25519', { kty: 'OKP', crv: 'X25519', x: b64u(u) }), requestPlaintextJson(1), zeroCek))),
      offCurve: await Promise.all(offCurvePoints.map((epk) => sealWithCek(header('P-256', epk), requestPlaintextJson(1), zeroCek))),
    },
  }
}, 300_000)
afterAll(() => {
  if (app !== undefined) rmSync(app, { recursive: true, force: true })
})

/** The result line the fixture printed (the last one: a runtime may print a notice before it). */
function expectBackends(result: BackendsResult, runtime: keyof typeof EXPECTED): void {
  const expected = EXPECTED[runtime]
  expect(result.runtime).toBe(runtime)
  expect(result.defaultBackend).toBe(expected)
  for (const curve of ['X25519', 'P-256'] as const) {
    expect(result.roundTrip[curve], curve).toEqual({ keyRing: expected, recipient: expected, body: { curve, runtime }, response: `sealed back on ${curve}` })
    expect(result.differential[curve], curve).toEqual({ 'node→jose': 'ok', 'jose→node': 'ok' })
  }
  const verdicts = { wellFormed: ['ok', 'ok'], lowOrder: Array(14).fill('decryption_failed'), offCurve: Array(2).fill('decryption_failed') }
  expect(result.crafted).toEqual({ node: verdicts, jose: verdicts })
}

describe('Bun and Deno get the backend measured fastest there, and it agrees with jose', () => {
  it('Bun', async () => {
    const { stdout } = await run(bin('bun'), ['run', 'backends.ts', JSON.stringify(input)], { ...runOptions, cwd: app })
    expectBackends(resultLine<BackendsResult>(stdout), 'bun')
  }, RUN_TIMEOUT + 10_000)

  it('Deno', async () => {
    // No permission at all: the fixture reads nothing but its modules and its argument.
    const { stdout } = await run(bin('deno'), ['run', '--no-prompt', 'backends.ts', JSON.stringify(input)], { ...runOptions, cwd: app, env: denoEnv })
    expectBackends(resultLine<BackendsResult>(stdout), 'deno')
  }, RUN_TIMEOUT + 10_000)
})
