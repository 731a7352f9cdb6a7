/**
 * Start-up against a real redis-server: a Redis that is down fails the boot
 * fast with a clear error (instead of `connect()` retrying forever), a Redis
 * that may evict keys is reported, and a booted client rides out an outage
 * without a restart.
 */
import { RedisReplayStore, RedisSetupError, connectFailFast, failFastClientOptions } from '@sealwire/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, findRedisServer, waitFor } from '../helpers/redis-server.js'

const redisBin = findRedisServer()
const newClient = (url: string) => createClient(failFastClientOptions({ url }, { maxReconnectDelayMs: 200 }))

describe.skipIf(redisBin === undefined)('connectFailFast', () => {
  let redis: RedisServer
  let evicting: RedisServer

  beforeAll(async () => {
    redis = await RedisServer.start(redisBin!)
    evicting = await RedisServer.start(redisBin!, ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'])
  })
  afterAll(async () => {
    await redis?.dispose()
    await evicting?.dispose()
  })

  it('fails fast with redis_unreachable when Redis is down at boot, and stops the client retrying', async () => {
    const down = await RedisServer.start(redisBin!)
    await down.dispose()
    const client = newClient(down.url)
    let errors = 0
    client.on('error', () => errors++)
    const outcome = await connectFailFast(client, { timeoutMs: 500 }).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(outcome).toBeInstanceOf(RedisSetupError)
    expect(outcome).toMatchObject({ code: 'redis_unreachable', name: 'RedisSetupError' })
    expect((outcome as Error).message).toMatch(/unreachable at start-up/)
    expect(client.isOpen).toBe(false)
    // Destroyed: no reconnection attempts (and their error events) go on in the background.
    const seen = errors
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(errors).toBe(seen)
  })

  it('connects to a Redis that is up and reports its noeviction policy, without warning', async () => {
    const client = newClient(redis.url)
    client.on('error', () => {})
    const warnings: string[] = []
    try {
      expect(await connectFailFast(client, { onWarning: (m) => warnings.push(m) })).toEqual({ maxmemoryPolicies: ['noeviction'] })
      expect(warnings).toEqual([])
    } finally {
      client.destroy()
    }
  })

  it('reports a maxmemory-policy other than noeviction at start, or refuses it with requireNoEviction', async () => {
    const warnings: string[] = []
    const client = newClient(evicting.url)
    client.on('error', () => {})
    try {
      expect(await connectFailFast(client, { onWarning: (m) => warnings.push(m) })).toEqual({ maxmemoryPolicies: ['allkeys-lru'] })
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/maxmemory-policy is allkeys-lru, not noeviction/)
    } finally {
      client.destroy()
    }
    const strict = newClient(evicting.url)
    strict.on('error', () => {})
    await expect(connectFailFast(strict, { requireNoEviction: true })).rejects.toMatchObject({ code: 'redis_evicts_keys' })
    strict.destroy()
  })

  it('without onWarning, the report is a process warning with code SEALWIRE_REDIS_EVICTION', async () => {
    const client = newClient(evicting.url)
    client.on('error', () => {})
    const seen = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve))
    try {
      await connectFailFast(client)
      expect((await seen).code).toBe('SEALWIRE_REDIS_EVICTION')
    } finally {
      client.destroy()
    }
  })

  it('once booted, the client reconnects by itself after Redis restarts: no process restart needed', async () => {
    const client = newClient(redis.url)
    client.on('error', () => {})
    try {
      await connectFailFast(client)
      const store = new RedisReplayStore({ client, timeoutMs: 300 })
      expect(await store.checkAndSet('boot-1', Date.now() + 60_000)).toBe(true)
      await redis.stop()
      await expect(store.checkAndSet('boot-2', Date.now() + 60_000)).rejects.toMatchObject({ code: 'replay_guard_unavailable' })
      await redis.restart()
      await waitFor(() => client.isReady, 'the client to reconnect')
      expect(await store.checkAndSet('boot-2', Date.now() + 60_000)).toBe(true)
    } finally {
      client.destroy()
    }
  })
})
