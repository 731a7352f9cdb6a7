/**
 * The server's OpenTelemetry metrics, read through a real SDK meter provider
 * after real HTTP requests: outcome counters, open and seal histograms, the
 * replay store gauge. Without a provider the API is a no-op (the other suites).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryReplayStore, createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest } from './helpers/http.js'
import { TestMetrics } from './helpers/metrics.js'
import { seal, sendSealed, testKeys, withFlippedCiphertext, type TestKeys } from './helpers/sealing.js'

const TARGET = '/api/transfers'

describe('server metrics through the OpenTelemetry API', () => {
  let keys: TestKeys
  let server: Server
  let url: string
  const metrics = new TestMetrics()
  const replayStore = new MemoryReplayStore()

  beforeAll(async () => {
    keys = await testKeys()
    const sealwire = createSealwireServer({ keys: keys.ring, allowInsecureLoopback: true, replayStore, meterProvider: metrics.provider })
    const app = express()
    app.post(TARGET, sealwireExpress(sealwire, { schema: z.object({ amount: z.number() }) }), (req, res) => {
      res.json({ ok: true })
    })
    server = createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server?.closeAllConnections()
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    await metrics.shutdown()
  })

  it('counts each outcome code, times open and seal, and reports the replay store fill', async () => {
    const valid = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: { amount: 1 } })
    expect((await sendSealed(url, 'POST', TARGET, valid)).status).toBe(200)
    expect((await sendSealed(url, 'POST', TARGET, valid)).status).toBe(409)
    const tampered = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: TARGET, body: { amount: 1 } })
    expect((await rawRequest(url + TARGET, { method: 'POST', headers: tampered.headers, body: withFlippedCiphertext(tampered.httpBody!) })).status).toBe(400)
    const wrongShape = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: { amount: 'ten' } })
    expect((await sendSealed(url, 'POST', TARGET, wrongShape)).status).toBe(422)
    expect((await rawRequest(url + TARGET, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' })).status).toBe(415)

    const requests = (outcome: string) => metrics.sum('sealwire.server.requests', { outcome })
    expect(await requests('accepted')).toBe(1)
    expect(await requests('replayed_request')).toBe(1)
    expect(await requests('decryption_failed')).toBe(1)
    expect(await requests('invalid_payload')).toBe(1)
    expect(await requests('unsupported_media_type')).toBe(1)
    expect(await metrics.sum('sealwire.server.requests')).toBe(5)
    // Routes are bounded labels (the template, or '*' before routing), never the raw path.
    expect(await metrics.sum('sealwire.server.requests', { outcome: 'accepted', route: TARGET })).toBe(1)

    // Open is timed for every envelope that reached step 4; seal for each sealed reply.
    expect(await metrics.count('sealwire.server.open.duration')).toBe(4)
    expect(await metrics.count('sealwire.server.open.duration', { outcome: 'decryption_failed' })).toBe(1)
    expect(await metrics.count('sealwire.server.seal.duration')).toBe(1)

    // Two jtis were accepted by the replay store (the 422 one passed its replay check).
    expect(replayStore.size).toBe(2)
    expect(await metrics.sum('sealwire.server.replay_store.entries')).toBe(2)
    expect(await metrics.sum('sealwire.server.replay_store.capacity')).toBe(replayStore.capacity)
  })
})
