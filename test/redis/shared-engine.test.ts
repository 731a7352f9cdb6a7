/**
 * Redis as the shared engine of two server instances, run the same way on a
 * single redis-server and on a real three-master Redis Cluster: the replay
 * guard (one 200 of 50 identical submissions across both instances), the
 * behaviour guard's counters (a peer's budget spent on one instance is spent
 * on the other), an outage (fail closed, then recover without a restart).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { JOSE_MEDIA_TYPE, KeyRing, generateKeyPair, importRecipientKey, sealRequest, type RecipientKey } from '@sealwire/core'
import { RedisGuardStore, RedisReplayStore, connectFailFast, failFastClientOptions } from '@sealwire/redis'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { createClient, createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisCluster, RedisServer, findRedisCli, findRedisServer, waitFor } from '../helpers/redis-server.js'
import { rawRequest } from '../server/helpers/http.js'
import { withFlippedCiphertext } from '../server/helpers/sealing.js'

const redisBin = findRedisServer()
const redisCli = findRedisCli()
const TARGET = '/api/transfers'
const BUDGET = 4

type Shared = ReturnType<typeof createClient> | ReturnType<typeof createCluster>

interface Backend {
  name: string
  start(): Promise<{ connect(): Shared; stopOne(): Promise<void>; restartOne(): Promise<void>; dispose(): Promise<void> }>
}

const tuning = { maxReconnectDelayMs: 200 }
// Every write on disk before it is acknowledged: a Redis killed and restarted
// still remembers every accepted jti (without persistence a restart forgets
// them, and their replays would pass: see the README on persistence).
const DURABLE = ['--appendonly', 'yes', '--appendfsync', 'always']
const backends: Backend[] = [
  {
    name: 'a single redis-server',
    async start() {
      const redis = await RedisServer.start(redisBin!, DURABLE)
      return {
        connect: () => createClient(failFastClientOptions({ url: redis.url }, tuning)),
        stopOne: () => redis.stop(),
        restartOne: () => redis.restart(),
        dispose: () => redis.dispose(),
      }
    },
  },
  {
    name: 'a Redis Cluster of three masters',
    async start() {
      const cluster = await RedisCluster.start(redisBin!, redisCli!, DURABLE)
      return {
        connect: () => createCluster({ rootNodes: cluster.rootNodes, defaults: failFastClientOptions({}, tuning) }),
        stopOne: () => cluster.masters[1]!.stop(),
        restartOne: () => cluster.masters[1]!.restart(),
        dispose: () => cluster.dispose(),
      }
    },
  },
]

for (const backend of backends) {
  describe.skipIf(redisBin === undefined || redisCli === undefined)(`two instances sharing ${backend.name}`, () => {
    let running: Awaited<ReturnType<Backend['start']>>
    let recipient: RecipientKey
    const clients: Shared[] = []
    const servers: Server[] = []
    const urls: string[] = []

    beforeAll(async () => {
      running = await backend.start()
      const { privateJwk, publicJwk } = await generateKeyPair('P-256')
      recipient = await importRecipientKey(publicJwk)
      for (let i = 0; i < 2; i++) {
        const client = running.connect()
        client.on('error', () => {})
        clients.push(client)
        const report = await connectFailFast(client)
        expect(report.maxmemoryPolicies.every((p) => p === 'noeviction')).toBe(true)
        const sealwire = createSealwireServer({
          keys: await KeyRing.from([privateJwk]),
          replayStore: new RedisReplayStore({ client, timeoutMs: 300 }),
          guard: { store: new RedisGuardStore({ client, budget: BUDGET, windowSeconds: 60, coolDownSeconds: 60 }) },
          allowInsecureLoopback: true,
        })
        const app = express()
        app.use(sealwireExpress(sealwire))
        app.post(TARGET, (_req, res) => {
          res.json({ ok: true })
        })
        const server = createServer(app)
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        servers.push(server)
        urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
      }
    }, 60_000)

    afterAll(async () => {
      for (const server of servers) {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      }
      for (const client of clients) client.destroy()
      await running?.dispose()
    })

    const fresh = () => sealRequest({ recipient, request: { method: 'POST', target: TARGET }, body: { amount: 1 } })
    const send = (url: string, body: string, localAddress = '127.0.0.1') =>
      rawRequest(url + TARGET, { method: 'POST', headers: { 'content-type': JOSE_MEDIA_TYPE }, body, localAddress })

    it('of 50 concurrent identical submissions spread over both instances, exactly one gets 200; distinct ones all do', async () => {
      const sealed = await fresh()
      // Each from its own loopback address: 49 replays from one peer would (rightly) spend its guard budget.
      const statuses = (await Promise.all(Array.from({ length: 50 }, (_, i) => send(urls[i % 2]!, sealed.envelope, `127.0.1.${i + 1}`)))).map((r) => r.status)
      expect(statuses.filter((s) => s === 200)).toHaveLength(1)
      expect(statuses.filter((s) => s === 409)).toHaveLength(49)
      // Distinct jtis land on every slot range (every master of a cluster).
      const many = await Promise.all(Array.from({ length: 30 }, () => fresh()))
      const answers = await Promise.all(many.map((s, i) => send(urls[i % 2]!, s.envelope, '127.0.0.5')))
      expect(answers.map((r) => r.status)).toEqual(Array(30).fill(200))
    })

    it("shares the behaviour guard's counters: a budget spent on one instance is spent on the other", async () => {
      const attacker = '127.0.0.2'
      for (let i = 0; i < BUDGET; i++) {
        const tampered = withFlippedCiphertext((await fresh()).envelope)
        expect((await send(urls[i % 2]!, tampered, attacker)).status).toBe(400)
      }
      for (const url of urls) {
        const res = await send(url, (await fresh()).envelope, attacker)
        expect(res.status).toBe(429)
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      }
      expect((await send(urls[0]!, (await fresh()).envelope, '127.0.0.1')).status).toBe(200)
    })

    it('an outage fails closed (503, never an accepted replay) and recovers without restarting the instances', async () => {
      const accepted = await fresh()
      expect((await send(urls[0]!, accepted.envelope)).status).toBe(200)
      await running.stopOne()
      try {
        // Of the requests sent while (part of) Redis is down, none is a 5xx other than 503 and the replay is never accepted.
        const during = await Promise.all(Array.from({ length: 10 }, async (_, i) => (await send(urls[i % 2]!, (await fresh()).envelope)).status))
        expect(during.every((s) => s === 200 || s === 503)).toBe(true)
        expect(during).toContain(503)
        expect([409, 503]).toContain((await send(urls[1]!, accepted.envelope, '127.0.2.1')).status)
      } finally {
        await running.restartOne()
      }
      await waitFor(async () => (await send(urls[1]!, (await fresh()).envelope)).status === 200, 'a 200 after Redis returned', 20_000)
      // The restarted Redis (every master of the cluster) kept the accepted jti: its replay is still refused.
      let replay = 503
      await waitFor(async () => (replay = (await send(urls[0]!, accepted.envelope, '127.0.2.2')).status) !== 503, 'the whole store back', 20_000)
      expect(replay).toBe(409)
    }, 40_000)
  })
}
