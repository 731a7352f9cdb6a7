/**
 * The deployment @sealwire/redis exists for: two server instances (two
 * engines, two ports, two Redis clients) behind one shared Redis, driven over
 * real HTTP on loopback. Plain HTTP with `allowInsecureLoopback`: transport is
 * tested elsewhere; here what matters is the replay guard across instances.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { JOSE_MEDIA_TYPE, KeyRing, generateKeyPair, importRecipientKey, openResponse, sealRequest, type RecipientKey } from '@sealwire/core'
import { RedisReplayStore, failFastClientOptions } from '@sealwire/redis'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, findRedisServer, waitFor } from '../helpers/redis-server.js'

const newClient = (url: string) => createClient(failFastClientOptions({ url }))
type Client = ReturnType<typeof newClient>

const redisBin = findRedisServer()
const TARGET = '/api/transfers'

describe.skipIf(redisBin === undefined)('two server instances over HTTP sharing one Redis', () => {
  let redis: RedisServer
  let recipient: RecipientKey
  const clients: Client[] = []
  const servers: Server[] = []
  const urls: string[] = []
  /** Bodies the handlers actually ran with, per instance: what "accepted" means to an app. */
  const handled: unknown[][] = [[], []]

  async function startInstance(privateJwk: unknown, index: number): Promise<string> {
    const client = newClient(redis.url)
    client.on('error', () => {}) // outages are expected below
    await client.connect()
    clients.push(client)
    const sealwire = createSealwireServer({
      keys: await KeyRing.from([privateJwk]),
      replayStore: new RedisReplayStore({ client, timeoutMs: 300 }),
      allowInsecureLoopback: true,
    })
    await sealwire.ready
    const app = express()
    app.use(sealwireExpress(sealwire))
    app.post(TARGET, (req, res) => {
      handled[index]!.push(req.body)
      res.json({ ok: true, instance: index })
    })
    const server = createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  async function send(url: string, envelope: string): Promise<{ status: number; contentType: string | null; text: string }> {
    const res = await fetch(url + TARGET, { method: 'POST', headers: { 'content-type': JOSE_MEDIA_TYPE }, body: envelope })
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() }
  }

  const handledCount = () => handled[0]!.length + handled[1]!.length

  beforeAll(async () => {
    redis = await RedisServer.start(redisBin!)
    const { privateJwk, publicJwk } = await generateKeyPair('P-256')
    recipient = await importRecipientKey(publicJwk)
    urls.push(await startInstance(privateJwk, 0), await startInstance(privateJwk, 1))
  })

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    for (const client of clients) client.destroy()
    await redis?.dispose()
  })

  it('of 50 concurrent identical submissions spread over both instances, exactly one gets 200', async () => {
    const sealed = await sealRequest({ recipient, request: { method: 'POST', target: TARGET }, body: { amount: 100, to: 'acct-42' } })
    const before = handledCount()
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => send(urls[i % 2]!, sealed.envelope)))

    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(49)
    expect(handledCount() - before).toBe(1)

    // Every answer is sealed to the requester, the refusals too (they came after decryption).
    for (const r of responses) expect(r.contentType).toMatch(/^application\/jose/)
    const ok = responses.find((r) => r.status === 200)!
    const opened = await openResponse(ok.text, { reply: sealed.reply, status: 200 })
    expect(JSON.parse(new TextDecoder().decode(opened.body))).toMatchObject({ ok: true })
    const refused = responses.find((r) => r.status === 409)!
    const problem = await openResponse(refused.text, { reply: sealed.reply, status: 409 })
    expect(JSON.parse(new TextDecoder().decode(problem.body))).toMatchObject({ code: 'replayed_request', status: 409 })
  })

  it('Redis stopped: both instances answer 503 replay_guard_unavailable and no handler runs', async () => {
    const sealed = await Promise.all(Array.from({ length: 10 }, () => sealRequest({ recipient, request: { method: 'POST', target: TARGET }, body: { amount: 1 } })))
    const before = handledCount()
    await redis.stop()
    try {
      for (const client of clients) await waitFor(() => !client.isReady, 'the clients to notice the outage')
      const responses = await Promise.all(sealed.map((s, i) => send(urls[i % 2]!, s.envelope)))
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(503))
      expect(handledCount()).toBe(before)
      const problem = await openResponse(responses[0]!.text, { reply: sealed[0]!.reply, status: 503 })
      expect(JSON.parse(new TextDecoder().decode(problem.body))).toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
    } finally {
      await redis.restart()
      for (const client of clients) await waitFor(() => client.isReady, 'the clients to reconnect')
    }
    // Back up: the service recovers without a restart of the instances.
    const fresh = await sealRequest({ recipient, request: { method: 'POST', target: TARGET }, body: { amount: 2 } })
    expect((await send(urls[1]!, fresh.envelope)).status).toBe(200)
  }, 20_000)

  it('Redis hung: the instance answers 503 within the store deadline instead of hanging the request', async () => {
    const sealed = await sealRequest({ recipient, request: { method: 'POST', target: TARGET }, body: { amount: 3 } })
    const before = handledCount()
    redis.freeze()
    try {
      const res = await send(urls[0]!, sealed.envelope)
      expect(res.status).toBe(503)
      expect(handledCount()).toBe(before)
    } finally {
      redis.thaw()
    }
  })
})
