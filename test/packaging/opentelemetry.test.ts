/**
 * Metrics through the application's global MeterProvider, with the dependency
 * graph a user gets: the packed packages installed with npm into fresh apps
 * outside the workspace, beside the OpenTelemetry packages as the SDK's own
 * instructions install them (the SDK 2.x accepts @opentelemetry/api 1.9 only).
 * The server must use the application's copy of the API, whose global holds
 * the provider, and run without the API at all.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshAppDir, npmInstall, packTarballs, runNode } from '../helpers/packed-app.js'

/** One sealed request through `handle`, as a client would send it; prints what the app's reader got. */
const APP = (withMetrics: boolean) => `
import { generateKeyPair, importRecipientKey, openResponse, sealRequest } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
${
  withMetrics
    ? `import { metrics } from '@opentelemetry/api'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'

const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))`
    : ''
}

const { privateJwk, publicJwk } = await generateKeyPair('X25519')
const sealwire = createSealwireServer({ keys: [privateJwk] })
await sealwire.ready
const request = { method: 'POST', target: '/api/echo' }
const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request, body: { hello: 'world' } })
const response = await sealwire.handle(
  new Request('https://api.example' + request.target, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: sealed.envelope }),
  (exchange) => Response.json({ got: exchange.body }),
)
const opened = await openResponse(await response.text(), { reply: sealed.reply, status: response.status })
console.log(JSON.stringify({ status: response.status, body: JSON.parse(new TextDecoder().decode(opened.body)) }))
${
  withMetrics
    ? `const { resourceMetrics } = await reader.collect()
const points = Object.fromEntries(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => [m.descriptor.name, m.dataPoints.map((p) => ({ attributes: p.attributes, value: typeof p.value === 'number' ? p.value : p.value.count }))])))
console.log(JSON.stringify(points))`
    : ''
}
`

let workDir: string
let tarballs: Record<string, string>
const apps: string[] = []

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'sealwire-otel-packs-'))
  tarballs = await packTarballs(workDir)
}, 600_000)

afterAll(() => {
  for (const dir of [workDir, ...apps]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

async function app(prefix: string, extra: string[]): Promise<string> {
  const dir = freshAppDir(prefix)
  apps.push(dir)
  await npmInstall(dir, [tarballs['@sealwire/core']!, tarballs['@sealwire/server']!, ...extra])
  return dir
}

describe('@sealwire/server and OpenTelemetry, installed with npm', () => {
  it('records its metrics on the MeterProvider the app registered globally', { timeout: 600_000 }, async () => {
    const dir = await app('sealwire-otel-global-', ['@opentelemetry/api@~1.9.0', '@opentelemetry/sdk-metrics@^2'])
    // One API in the tree: the app's (a second copy keeps a global of its own).
    expect(existsSync(join(dir, 'node_modules', '@sealwire', 'server', 'node_modules', '@opentelemetry', 'api'))).toBe(false)
    writeFileSync(join(dir, 'app.mjs'), APP(true))
    const result = await runNode(dir, ['app.mjs'])
    expect(result.stderr).toBe('')
    const [answer, points] = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(answer).toEqual({ status: 200, body: { got: { hello: 'world' } } })
    expect(Object.keys(points!).filter((name) => name.startsWith('sealwire.')).sort()).toEqual([
      'sealwire.server.open.duration',
      'sealwire.server.replay_store.capacity',
      'sealwire.server.replay_store.entries',
      'sealwire.server.requests',
      'sealwire.server.seal.duration',
    ])
    expect(points!['sealwire.server.requests']).toEqual([{ attributes: { outcome: 'accepted', route: expect.any(String) }, value: 1 }])
    expect(points!['sealwire.server.replay_store.entries']).toEqual([{ attributes: {}, value: 1 }])
  })

  it('runs without @opentelemetry/api installed (an optional peer dependency)', { timeout: 600_000 }, async () => {
    const dir = await app('sealwire-otel-none-', [])
    expect(existsSync(join(dir, 'node_modules', '@opentelemetry'))).toBe(false)
    writeFileSync(join(dir, 'app.mjs'), APP(false))
    const result = await runNode(dir, ['app.mjs'])
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ status: 200, body: { got: { hello: 'world' } } })
  })
})
