/**
 * The Prometheus setup the README documents, for real: the OpenTelemetry SDK
 * with the Prometheus exporter on a free loopback port, a Sealwire server
 * with it as `meterProvider`, and a scrape of /metrics over HTTP.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { MemoryGuardStore, createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest } from './helpers/http.js'
import { seal, sendSealed, testKeys, withFlippedCiphertext, type TestKeys } from './helpers/sealing.js'

const TARGET = '/api/transfers'

describe('Prometheus scrape of the server metrics', () => {
  let keys: TestKeys
  let exporter: PrometheusExporter
  let provider: MeterProvider
  let server: Server
  let url: string
  let metricsUrl: string

  beforeAll(async () => {
    keys = await testKeys()
    // port 0: a free port; the exporter starts listening when constructed.
    exporter = new PrometheusExporter({ host: '127.0.0.1', port: 0, preventServerStart: true })
    await exporter.startServer()
    const address = (exporter as unknown as { _server: Server })._server.address() as AddressInfo
    metricsUrl = `http://127.0.0.1:${address.port}/metrics`
    provider = new MeterProvider({ readers: [exporter] })
    const sealwire = createSealwireServer({
      keys: keys.ring,
      allowInsecureLoopback: true,
      meterProvider: provider,
      guard: { store: new MemoryGuardStore({ budget: 1, coolDownSeconds: 60 }) },
    })
    const app = express()
    app.post(TARGET, sealwireExpress(sealwire), (_req, res) => {
      res.json({ ok: true })
    })
    server = createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server?.closeAllConnections()
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    await provider?.shutdown()
  })

  it('exposes outcome counters, open and seal histograms and guard blocks in the Prometheus text format', async () => {
    const valid = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: { amount: 1 } })
    expect((await sendSealed(url, 'POST', TARGET, valid)).status).toBe(200)
    const bad = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: {} })
    const tampered = { method: 'POST', headers: bad.headers, body: withFlippedCiphertext(bad.httpBody!), localAddress: '127.0.0.2' }
    expect((await rawRequest(url + TARGET, tampered)).status).toBe(400)
    expect((await rawRequest(url + TARGET, tampered)).status).toBe(429)

    const scrape = await rawRequest(metricsUrl)
    expect(scrape.status).toBe(200)
    const text = scrape.body
    const sample = (name: string, labels: string) => new RegExp(`^${name}\\{${labels}[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]
    expect(sample('sealwire_server_requests_total', 'outcome="accepted",route="/api/transfers"')).toBe('1')
    // Refused before routing: the bounded '*' label, never the raw path.
    expect(sample('sealwire_server_requests_total', 'outcome="decryption_failed",route="\\*"')).toBe('1')
    expect(sample('sealwire_server_requests_total', 'outcome="too_many_failures",route="\\*"')).toBe('1')
    expect(sample('sealwire_server_guard_blocks_total', 'route="\\*"')).toBe('1')
    expect(sample('sealwire_server_open_duration_count', 'outcome="accepted"')).toBe('1')
    expect(sample('sealwire_server_open_duration_count', 'outcome="decryption_failed"')).toBe('1')
    expect(sample('sealwire_server_seal_duration_count', '')).toBe('1')
    expect(sample('sealwire_server_replay_store_entries', '')).toBe('1')
  })
})
