/**
 * The behaviour guard over real HTTP on loopback: a second loopback address
 * (127.0.0.2) plays the attacker, 127.0.0.1 the honest client. Past its budget
 * of failed requests the attacker is answered 429 with Retry-After, before any
 * key agreement (the open histogram does not move), for the cooling period;
 * the honest client is not affected.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryGuardStore, createSealwireServer, type GuardOptions } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestMetrics } from './helpers/metrics.js'
import { plainProblem, seal, sendSealed, testKeys, withFlippedCiphertext, type TestKeys } from './helpers/sealing.js'
import { rawRequest } from './helpers/http.js'

const TARGET = '/api/transfers'
const ATTACKER = '127.0.0.2'
const HONEST = '127.0.0.1'
const BUDGET = 5

interface Running {
  url: string
  metrics: TestMetrics
  clock: { now: number }
  close(): Promise<void>
}

let keys: TestKeys

async function start(guard: (clock: { now: number }) => GuardOptions, trustedProxies: string[] = [], requireTls = true): Promise<Running> {
  const clock = { now: Date.now() }
  const metrics = new TestMetrics()
  const sealwire = createSealwireServer({
    keys: keys.ring,
    allowInsecureLoopback: true,
    requireTls,
    trustedProxies,
    guard: guard(clock),
    meterProvider: metrics.provider,
    clock: () => clock.now,
  })
  const app = express()
  app.use(sealwireExpress(sealwire))
  app.post(TARGET, (req, res) => {
    res.json({ ok: true, body: req.body })
  })
  const server: Server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    metrics,
    clock,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await metrics.shutdown()
    },
  }
}

const memoryGuard = (clock: { now: number }): GuardOptions => ({ store: new MemoryGuardStore({ budget: BUDGET, windowSeconds: 60, coolDownSeconds: 30, clock: () => clock.now }) })

async function sendValid(app: Running, from: string, headers: Record<string, string> = {}) {
  const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: { amount: 1 }, clock: () => app.clock.now })
  return sendSealed(app.url, 'POST', TARGET, sealed, { localAddress: from, headers })
}

async function sendTampered(app: Running, from: string, headers: Record<string, string> = {}) {
  const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: { amount: 1 }, clock: () => app.clock.now })
  return rawRequest(app.url + TARGET, { method: 'POST', localAddress: from, headers: { ...sealed.headers, ...headers }, body: withFlippedCiphertext(sealed.httpBody!) })
}

beforeAll(async () => {
  keys = await testKeys()
})

describe('behaviour guard, per client address, in memory', () => {
  let app: Running

  beforeAll(async () => {
    app = await start(memoryGuard)
  })
  afterAll(async () => {
    await app?.close()
  })

  it('answers 429 too_many_failures with Retry-After before any key agreement once the budget is spent, for the cooling period', async () => {
    for (let i = 0; i < BUDGET; i++) {
      const res = await sendTampered(app, ATTACKER)
      expect(res.status).toBe(400)
      expect(plainProblem(res).code).toBe('decryption_failed')
    }
    const opensBefore = await app.metrics.count('sealwire.server.open.duration')
    expect(opensBefore).toBe(BUDGET)

    const blocked = await sendTampered(app, ATTACKER)
    expect(blocked.status).toBe(429)
    expect(blocked.headers['retry-after']).toBe('30')
    expect(plainProblem(blocked)).toMatchObject({ code: 'too_many_failures', status: 429 })
    // Even a valid request from the blocked address is refused, unopened.
    const validBlocked = await sendValid(app, ATTACKER)
    expect(validBlocked.status).toBe(429)
    expect(await app.metrics.count('sealwire.server.open.duration')).toBe(opensBefore)
    expect(await app.metrics.sum('sealwire.server.guard.blocks')).toBe(2)

    // The honest client on the other address is served throughout.
    expect((await sendValid(app, HONEST)).status).toBe(200)

    // Retry-After counts down with the clock; past the cooling period the address is served again.
    app.clock.now += 20_000
    expect((await sendValid(app, ATTACKER)).headers['retry-after']).toBe('10')
    app.clock.now += 10_001
    expect((await sendValid(app, ATTACKER)).status).toBe(200)
  })

  it('does not count failures an honest client causes after decryption (schema, handler) nor successes', async () => {
    const honest = '127.0.0.3'
    for (let i = 0; i < BUDGET * 3; i++) expect((await sendValid(app, honest)).status).toBe(200)
    // A replay counts: it is one envelope resent, the cheapest way to force key agreement.
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: {}, clock: () => app.clock.now })
    const statuses: number[] = []
    for (let i = 0; i < BUDGET + 2; i++) statuses.push((await sendSealed(app.url, 'POST', TARGET, sealed, { localAddress: '127.0.0.4' })).status)
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 429])
  })
})

describe('behaviour guard, per application key and behind a trusted proxy', () => {
  it('budgets per API key when identify returns one', async () => {
    const app = await start((clock) => ({ ...memoryGuard(clock), identify: (request, address) => request.header('x-api-key') ?? address }))
    try {
      for (let i = 0; i < BUDGET; i++) expect((await sendTampered(app, HONEST, { 'x-api-key': 'key-a' })).status).toBe(400)
      expect((await sendValid(app, HONEST, { 'x-api-key': 'key-a' })).status).toBe(429)
      // Same address, another key: its own budget.
      expect((await sendValid(app, HONEST, { 'x-api-key': 'key-b' })).status).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('keys on the client a trusted proxy forwarded for, never on what the client wrote left of it', async () => {
    // TLS off: a plain-HTTP forwarded request is refused at step 1 otherwise, and transport is tested elsewhere.
    const app = await start(memoryGuard, ['127.0.0.1'], false)
    try {
      for (let i = 0; i < BUDGET; i++) {
        // The client prepends a fresh fake hop each time; the proxy's own hop (rightmost) stays 203.0.113.9.
        expect((await sendTampered(app, HONEST, { 'x-forwarded-proto': 'https', 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` })).status).toBe(400)
      }
      expect((await sendValid(app, HONEST, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' })).status).toBe(429)
      expect((await sendValid(app, HONEST, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.10' })).status).toBe(200)
      // An untrusted peer's X-Forwarded-For is ignored: it is keyed by its own address.
      for (let i = 0; i < BUDGET; i++) expect((await sendTampered(app, ATTACKER, { 'x-forwarded-for': `192.0.2.${i}` })).status).toBe(400)
      expect((await sendValid(app, ATTACKER, { 'x-forwarded-for': '192.0.2.99' })).status).toBe(429)
    } finally {
      await app.close()
    }
  })

  it('lets requests through when its store fails: the guard brakes abuse, the replay guard still fails closed', async () => {
    const broken = { blockedFor: () => Promise.reject(new Error('store down')), recordFailure: () => Promise.reject(new Error('store down')) }
    const app = await start(() => ({ store: broken }))
    try {
      for (let i = 0; i < 3; i++) expect((await sendTampered(app, ATTACKER)).status).toBe(400)
      expect((await sendValid(app, ATTACKER)).status).toBe(200)
    } finally {
      await app.close()
    }
  })
})

describe('behaviour guard, key-agreement budget', () => {
  it('counts every request that reaches key agreement, valid or not, and answers 429 past the budget', async () => {
    const agreements = 4
    const app = await start((clock) => ({ ...memoryGuard(clock), keyAgreements: new MemoryGuardStore({ budget: agreements, windowSeconds: 60, coolDownSeconds: 30, clock: () => clock.now }) }))
    try {
      // Valid envelopes, which the failure budget never sees, and one that fails decryption: all four cost an ECDH.
      for (let i = 0; i < agreements - 1; i++) expect((await sendValid(app, ATTACKER)).status).toBe(200)
      expect((await sendTampered(app, ATTACKER)).status).toBe(400)
      const opens = await app.metrics.count('sealwire.server.open.duration')
      const blocked = await sendValid(app, ATTACKER)
      expect(blocked.status).toBe(429)
      expect(blocked.headers['retry-after']).toBe('30')
      expect(plainProblem(blocked).code).toBe('too_many_failures')
      // Refused before step 4: no key agreement for it.
      expect(await app.metrics.count('sealwire.server.open.duration')).toBe(opens)
      // Failures before key agreement (a malformed envelope) do not spend it; the honest address is served.
      expect((await sendValid(app, HONEST)).status).toBe(200)
      expect((await rawRequest(app.url + TARGET, { method: 'POST', localAddress: '127.0.0.5', headers: { 'content-type': 'application/jose' }, body: 'not.an.envelope' })).status).toBe(400)
      for (let i = 0; i < agreements; i++) expect((await sendValid(app, '127.0.0.5')).status).toBe(200)
    } finally {
      await app.close()
    }
  })
})
