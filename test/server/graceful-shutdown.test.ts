/**
 * Graceful shutdown, as the README documents it: on SIGTERM stop accepting,
 * let the sealed requests in flight finish, then close the Redis client. Real
 * HTTP, a real redis-server, requests held in their handler when shutdown starts.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RedisReplayStore, connectFailFast, failFastClientOptions } from '@sealwire/redis'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, findRedisServer, waitFor } from '../helpers/redis-server.js'
import { openSealed, seal, sendSealed, testKeys } from './helpers/sealing.js'

const redisBin = findRedisServer()
const TARGET = '/api/transfers'

describe.skipIf(redisBin === undefined)('graceful shutdown', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await RedisServer.start(redisBin!)
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  it('answers every sealed request in flight, refuses new connections, then closes the Redis client', async () => {
    const keys = await testKeys()
    const client = createClient(failFastClientOptions({ url: redis.url }))
    client.on('error', () => {})
    await connectFailFast(client)
    const sealwire = createSealwireServer({ keys: keys.ring, allowInsecureLoopback: true, replayStore: new RedisReplayStore({ client }) })
    let entered = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const app = express()
    app.post(TARGET, sealwireExpress(sealwire), async (req, res) => {
      entered++
      await gate
      res.json({ ok: true, n: (req.body as { n: number }).n })
    })
    const server = createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    const sealed = await Promise.all(Array.from({ length: 5 }, (_, n) => seal({ recipient: keys.recipients['P-256'], method: 'POST', target: TARGET, body: { n } })))
    const answers = sealed.map((s) => sendSealed(url, 'POST', TARGET, s))
    await waitFor(() => entered === 5, 'five requests in their handler')

    // The documented shutdown.
    let closed = false
    const idle = setInterval(() => server.closeIdleConnections(), 50)
    const shutdown = new Promise<void>((resolve) =>
      server.close(async () => {
        clearInterval(idle)
        await client.close()
        closed = true
        resolve()
      }),
    )
    // New connections are refused while the in-flight ones are still being served.
    await expect(fetch(url + TARGET, { method: 'POST' })).rejects.toThrow()
    expect(closed).toBe(false)
    release()

    const responses = await Promise.all(answers)
    for (const [n, res] of responses.entries()) {
      expect(res.status).toBe(200)
      expect((await openSealed<{ n: number }>(res, sealed[n]!)).json).toEqual({ ok: true, n })
    }
    await shutdown
    expect(client.isOpen).toBe(false)
  })
})
