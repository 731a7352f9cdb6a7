import { SealwireError } from '@sealwire/core'
import { DEFAULT_KEY_PREFIX, RedisReplayStore, failFastClientOptions, type ReplaySetClient } from '@sealwire/redis'
import { ClientOfflineError, createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, findRedisServer, waitFor } from '../helpers/redis-server.js'

type Client = ReturnType<typeof createClient>

const redisBin = findRedisServer()

describe.skipIf(redisBin === undefined)('RedisReplayStore on a real redis-server', () => {
  let server: RedisServer
  let admin: Client
  const clients: Client[] = []
  let seq = 0
  const jti = () => `jti-${process.pid}-${++seq}-${Math.random().toString(36).slice(2)}`

  async function connect(options: Parameters<typeof createClient>[0] = failFastClientOptions({ url: server.url })): Promise<Client> {
    const client = createClient(options)
    // Outages are part of these tests; node-redis emits them as 'error' events,
    // which would crash the process without a listener.
    client.on('error', () => {})
    await client.connect()
    clients.push(client)
    return client
  }

  /** `calls` of one command since the last CONFIG RESETSTAT, from INFO commandstats. */
  async function calls(command: string): Promise<number> {
    const info = await admin.info('commandstats')
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0)
  }

  async function running(): Promise<void> {
    if (!server.running) await server.restart()
    for (const client of clients) await waitFor(() => client.isReady, 'the client to reconnect')
  }

  beforeAll(async () => {
    server = await RedisServer.start(redisBin!)
    admin = await connect()
  })

  afterAll(async () => {
    for (const client of clients) client.destroy()
    await server?.dispose()
  })

  it('accepts a new jti and refuses it the second time, from any store on the same Redis', async () => {
    const a = new RedisReplayStore({ client: await connect() })
    const b = new RedisReplayStore({ client: await connect() })
    const id = jti()
    const expiresAt = Date.now() + 60_000
    expect(await a.checkAndSet(id, expiresAt)).toBe(true)
    expect(await a.checkAndSet(id, expiresAt)).toBe(false)
    expect(await b.checkAndSet(id, expiresAt)).toBe(false)
    expect(await b.checkAndSet(jti(), expiresAt)).toBe(true)
  })

  it('sends exactly one SET per call and never a GET', async () => {
    const store = new RedisReplayStore({ client: await connect() })
    const id = jti()
    await admin.configResetStat()
    for (let i = 0; i < 5; i++) await store.checkAndSet(id, Date.now() + 60_000)
    await store.checkAndSet(jti(), Date.now() + 60_000)
    expect(await calls('set')).toBe(6)
    for (const read of ['get', 'exists', 'pttl', 'ttl', 'eval', 'evalsha', 'multi']) expect(await calls(read), read).toBe(0)
  })

  it('sets the TTL from expiresAt minus the store clock, rounded up', async () => {
    const now = 1_700_000_000_000
    const store = new RedisReplayStore({ client: await connect(), clock: () => now })
    const id = jti()
    expect(await store.checkAndSet(id, now + 70_000)).toBe(true)
    const pttl = await admin.pTTL(DEFAULT_KEY_PREFIX + id)
    expect(pttl).toBeGreaterThan(60_000)
    expect(pttl).toBeLessThanOrEqual(70_000)

    // A fraction of a millisecond still records the key (ceil, minimum 1 ms), not zero or "no expiry".
    const frac = jti()
    await admin.configResetStat()
    expect(await store.checkAndSet(frac, now + 0.25)).toBe(true)
    expect(await calls('set')).toBe(1)
    expect(await admin.pTTL(DEFAULT_KEY_PREFIX + frac)).not.toBe(-1)
  })

  it('forgets a jti once its TTL has run out: Redis enforces the expiry', async () => {
    const store = new RedisReplayStore({ client: await connect() })
    const id = jti()
    expect(await store.checkAndSet(id, Date.now() + 150)).toBe(true)
    expect(await store.checkAndSet(id, Date.now() + 150)).toBe(false)
    await waitFor(async () => (await admin.pTTL(DEFAULT_KEY_PREFIX + id)) === -2, 'the key to expire')
    expect(await store.checkAndSet(id, Date.now() + 60_000)).toBe(true)
  })

  it('uses the default prefix sealwire:jti:, or the configured one', async () => {
    const client = await connect()
    const id = jti()
    await new RedisReplayStore({ client }).checkAndSet(id, Date.now() + 60_000)
    expect(await admin.exists(`sealwire:jti:${id}`)).toBe(1)
    expect(await admin.exists(id)).toBe(0)

    const other = new RedisReplayStore({ client, keyPrefix: 'billing-api:replay:' })
    expect(other.keyPrefix).toBe('billing-api:replay:')
    // Separate namespaces: the same jti under another prefix is a different key.
    expect(await other.checkAndSet(id, Date.now() + 60_000)).toBe(true)
    expect(await admin.exists(`billing-api:replay:${id}`)).toBe(1)
    expect(await admin.get(`billing-api:replay:${id}`)).toBe('1')
  })

  it('refuses an expiresAt already past (fails closed) and records nothing', async () => {
    const store = new RedisReplayStore({ client: await connect() })
    const id = jti()
    for (const expiresAt of [Date.now() - 1_000, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.checkAndSet(id, expiresAt)).rejects.toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
    }
    expect(await admin.exists(DEFAULT_KEY_PREFIX + id)).toBe(0)
  })

  it('works with any client shaped like { set(key, value, options) }: an ioredis-style adapter over raw commands', async () => {
    const raw = await connect()
    const adapter: ReplaySetClient = {
      // What an ioredis adapter does: redis.set(key, value, 'PX', ms, 'NX').
      set: (key, value, { expiration }) => raw.sendCommand(['SET', key, value, 'PX', String(expiration.value), 'NX']),
    }
    const store = new RedisReplayStore({ client: adapter })
    const id = jti()
    expect(await store.checkAndSet(id, Date.now() + 60_000)).toBe(true)
    expect(await store.checkAndSet(id, Date.now() + 60_000)).toBe(false)
    expect(await admin.pTTL(DEFAULT_KEY_PREFIX + id)).toBeGreaterThan(0)
  })

  it('fails closed on an adapter that does not hand back the reply (neither OK nor null)', async () => {
    const raw = await connect()
    const forgetful: ReplaySetClient = {
      set: async (key, value, { expiration }) => {
        await raw.sendCommand(['SET', key, value, 'PX', String(expiration.value), 'NX'])
      },
    }
    const store = new RedisReplayStore({ client: forgetful })
    await expect(store.checkAndSet(jti(), Date.now() + 60_000)).rejects.toMatchObject({ code: 'replay_guard_unavailable' })
  })

  it('fails closed when Redis refuses writes (maxmemory reached under noeviction)', async () => {
    const store = new RedisReplayStore({ client: await connect() })
    await admin.configSet({ 'maxmemory-policy': 'noeviction', maxmemory: '1' })
    try {
      const error = await store.checkAndSet(jti(), Date.now() + 60_000).then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(error).toBeInstanceOf(SealwireError)
      expect(error).toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
      expect(String((error as Error).cause)).toMatch(/OOM/)
    } finally {
      await admin.configSet({ maxmemory: '0' })
    }
  })

  it('fails closed on a client that was never connected', async () => {
    const idle = createClient(failFastClientOptions({ url: server.url }))
    const store = new RedisReplayStore({ client: idle })
    await expect(store.checkAndSet(jti(), Date.now() + 60_000)).rejects.toMatchObject({ code: 'replay_guard_unavailable' })
  })

  it('fails closed within timeoutMs when Redis hangs (process frozen, connection open)', async () => {
    const store = new RedisReplayStore({ client: await connect(), timeoutMs: 200 })
    server.freeze()
    try {
      const error = await store.checkAndSet(jti(), Date.now() + 60_000).catch((err: unknown) => err)
      expect(error).toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
      expect(String((error as Error).cause)).toMatch(/did not answer SET NX within 200 ms/)
    } finally {
      server.thaw()
    }
  })

  it('with failFastClientOptions, an outage is refused by the client at once, not waited out', async () => {
    const client = await connect()
    // A deadline far beyond the test timeout: only the client's own fail-fast can make this pass.
    const store = new RedisReplayStore({ client, timeoutMs: 60_000 })
    await server.stop()
    try {
      await waitFor(() => !client.isReady, 'the client to notice the outage')
      const error = await store.checkAndSet(jti(), Date.now() + 60_000).catch((err: unknown) => err)
      expect(error).toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
      // Refused by node-redis itself because the offline queue is off; not by a timer (ours or node-redis's 5 s default).
      expect((error as Error).cause).toBeInstanceOf(ClientOfflineError)
    } finally {
      await running()
    }
    // Recovery: the bounded reconnect brings the same client back once Redis is up.
    expect(await store.checkAndSet(jti(), Date.now() + 60_000)).toBe(true)
  }, 20_000)

  it("without them, node-redis queues commands while offline: the store's deadline still refuses in time", async () => {
    // Default node-redis options: offline queue on. Reconnects are kept quick so the client comes back after the test.
    const client = await connect({ url: server.url, socket: { reconnectStrategy: () => 100 } })
    const store = new RedisReplayStore({ client, timeoutMs: 300 })
    await server.stop()
    try {
      await waitFor(() => !client.isReady, 'the client to notice the outage')
      const error = await store.checkAndSet(jti(), Date.now() + 60_000).catch((err: unknown) => err)
      expect(error).toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
      expect(String((error as Error).cause)).toMatch(/did not answer SET NX within 300 ms/)
    } finally {
      await running()
    }
  }, 20_000)
})
