import {
  KeyRing,
  SealwireError,
  decodeProtectedHeader,
  generateKeyPair,
  importRecipientKey,
  openRequest,
  replyContextOf,
  sealRequest,
  type RecipientKey,
} from '@sealwire/core'
import { RedisReplayStore, failFastClientOptions, type ReplaySetClient } from '@sealwire/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, findRedisServer, waitFor } from '../helpers/redis-server.js'

const newClient = (url: string) => createClient(failFastClientOptions({ url }))
type Client = ReturnType<typeof newClient>

const redisBin = findRedisServer()

/**
 * Core's openRequest with a Redis replay store, as two server instances would
 * run it: each its own KeyRing (same private key), its own client and store,
 * one shared Redis.
 */
describe.skipIf(redisBin === undefined)('openRequest with RedisReplayStore: two instances, one Redis', () => {
  const request = { method: 'POST', target: '/api/transfers' }
  let server: RedisServer
  let recipient: RecipientKey
  let admin: Client
  const clients: Client[] = []
  let instances: Array<{ keyRing: KeyRing; replayStore: RedisReplayStore }>

  async function connect(): Promise<Client> {
    const client = newClient(server.url)
    client.on('error', () => {}) // outages are expected below
    await client.connect()
    clients.push(client)
    return client
  }

  const open = (envelope: string, i: number) => {
    const instance = instances[i % instances.length]!
    return openRequest(envelope, { ...instance, request })
  }

  const settle = async (promises: Array<Promise<unknown>>) => {
    const results = await Promise.allSettled(promises)
    const accepted = results.filter((r) => r.status === 'fulfilled')
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as SealwireError).code] : []))
    return { accepted, codes, results }
  }

  beforeAll(async () => {
    server = await RedisServer.start(redisBin!)
    admin = await connect()
    const { privateJwk, publicJwk } = await generateKeyPair('P-256')
    recipient = await importRecipientKey(publicJwk)
    instances = []
    for (let i = 0; i < 2; i++) {
      instances.push({ keyRing: await KeyRing.from([privateJwk]), replayStore: new RedisReplayStore({ client: await connect(), timeoutMs: 300 }) })
    }
  })

  afterAll(async () => {
    for (const client of clients) client.destroy()
    await server?.dispose()
  })

  it('of 50 concurrent openings of the same envelope across both instances, exactly one is accepted', async () => {
    const sealed = await sealRequest({ recipient, request, body: { amount: 100, to: 'acct-42' } })
    await admin.configResetStat()
    const { accepted, codes, results } = await settle(Array.from({ length: 50 }, (_, i) => open(sealed.envelope, i)))

    expect(accepted).toHaveLength(1)
    expect(codes).toHaveLength(49)
    expect(new Set(codes)).toEqual(new Set(['replayed_request']))
    for (const r of results) if (r.status === 'rejected') expect((r.reason as SealwireError).status).toBe(409)
    // One SET NX per opening reached the shared Redis: both instances really raced there.
    expect(Number(/cmdstat_set:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1])).toBe(50)
    const jti = sealed.reply.jti
    expect(await admin.exists(`sealwire:jti:${jti}`)).toBe(1)
    // TTL covers the freshness window core asks for: until (iat + maxAge 60 s + margin 5 s) + 1 ms.
    const pttl = await admin.pTTL(`sealwire:jti:${jti}`)
    expect(pttl).toBeGreaterThan(60_000)
    expect(pttl).toBeLessThanOrEqual(65_001)
  })

  it('different requests are all accepted, spread over both instances', async () => {
    const envelopes = await Promise.all(Array.from({ length: 20 }, () => sealRequest({ recipient, request, body: { n: 1 } })))
    const { accepted } = await settle(envelopes.map((s, i) => open(s.envelope, i)))
    expect(accepted).toHaveLength(20)
  })

  it('Redis stopped: openRequest fails closed with replay_guard_unavailable (503), nothing accepted', async () => {
    const sealed = await Promise.all(Array.from({ length: 10 }, () => sealRequest({ recipient, request, body: { amount: 5 } })))
    await server.stop()
    try {
      for (const client of clients) await waitFor(() => !client.isReady, 'the clients to notice the outage')
      const { accepted, codes, results } = await settle(sealed.map((s, i) => open(s.envelope, i)))
      expect(accepted).toHaveLength(0)
      expect(codes).toEqual(Array(10).fill('replay_guard_unavailable'))
      for (const r of results) {
        const err = (r as PromiseRejectedResult).reason as SealwireError
        expect(err.status).toBe(503)
        // Raised after decryption: the server can answer it encrypted to the requester.
        expect(replyContextOf(err)).toBeDefined()
      }
    } finally {
      await server.restart()
      for (const client of clients) await waitFor(() => client.isReady, 'the clients to reconnect')
    }
    // A request refused for the outage was not accepted: its envelope is still unused once Redis is back
    // (this Redis kept nothing across the restart, so this shows only that the retry path works).
    const retried = await open(sealed[0]!.envelope, 0)
    expect(retried.body).toEqual({ amount: 5 })
  }, 20_000)

  // Issue 9 item 8. Redis counts the TTL in real time, so the boundary is read off the SET
  // that reached it (a real client, its calls recorded) and off the key itself.
  it('asks Redis to hold the jti one millisecond past the last instant its iat is fresh (maxSkewSeconds 0, no margin)', async () => {
    const client = await connect()
    const sent: number[] = []
    const recording: ReplaySetClient = { set: (key, value, options) => (sent.push(options.expiration.value), client.set(key, value, options)) }
    const iat = Math.floor(Date.now() / 1000)
    const clock = () => iat * 1000 // received at the very second it was sealed
    const replayStore = new RedisReplayStore({ client: recording, clock })
    const sealed = await sealRequest({ recipient, request, body: 1, clock })
    await openRequest(sealed.envelope, { ...instances[0]!, replayStore, request, clock, maxAgeSeconds: 60, maxSkewSeconds: 0, replayMarginSeconds: 0 })
    // Fresh through iat + 60 000 ms inclusive: the key must outlive that millisecond.
    expect(sent).toEqual([60_001])
    const pttl = await admin.pTTL(`sealwire:jti:${sealed.reply.jti}`)
    expect(pttl).toBeGreaterThan(59_000)
    expect(pttl).toBeLessThanOrEqual(60_001)
  })

  // Issue 9 item 9, in real time. Instance B's clock runs 2 s behind A's; maxAge 3 s. A accepts
  // a request at once; B finds its iat fresh until A's clock reads iat + 5 s. A replay to B at
  // iat + 4.5 s (A's clock) is refused only if Redis still holds the jti then: with a 3 s margin
  // it holds it until iat + 6 s; with none, until iat + 3 s, and the replay gets through.
  it('replayMarginSeconds covers instances whose clocks differ by up to it; without it a replay reopens', async () => {
    const offsetMs = 2000
    const options = { request, maxAgeSeconds: 3, maxSkewSeconds: 0 }
    const aClock = () => Date.now()
    const bClock = () => Date.now() - offsetMs
    const instance = async (clock: () => number) => ({ keyRing: instances[0]!.keyRing, replayStore: new RedisReplayStore({ client: await connect(), clock }), clock })
    const [a, b] = [await instance(aClock), await instance(bClock)]
    const replayAfterMargin = async (replayMarginSeconds: number) => {
      const sealed = await sealRequest({ recipient, request, body: { margin: replayMarginSeconds }, clock: aClock })
      const iat = decodeProtectedHeader(sealed.envelope).iat as number
      await openRequest(sealed.envelope, { ...a, ...options, replayMarginSeconds })
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, iat * 1000 + 4500 - aClock())))
      return openRequest(sealed.envelope, { ...b, ...options, replayMarginSeconds }).then(
        () => 'accepted',
        (error: SealwireError) => error.code,
      )
    }
    const [withMargin, withoutMargin] = await Promise.all([replayAfterMargin(3), replayAfterMargin(0)])
    expect(withMargin).toBe('replayed_request')
    expect(withoutMargin).toBe('accepted')
  }, 20_000)

  it('Redis hung: openRequest fails closed within the store deadline instead of hanging', async () => {
    const sealed = await sealRequest({ recipient, request, body: { amount: 7 } })
    server.freeze()
    try {
      const err = await open(sealed.envelope, 1).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SealwireError)
      expect(err).toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
    } finally {
      server.thaw()
    }
  })
})
