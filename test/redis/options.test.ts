import { RedisReplayStore, failFastClientOptions } from '@sealwire/redis'
import { createClient } from 'redis'
import { describe, expect, it } from 'vitest'

// Construction only: no command is sent, so no Redis is needed here.
describe('RedisReplayStore options', () => {
  const client = createClient()

  it('takes a node-redis client as it is, with defaults', () => {
    const store = new RedisReplayStore({ client })
    expect(store.keyPrefix).toBe('sealwire:jti:')
    expect(store.timeoutMs).toBe(500)
    // Durable store: core must not treat requests as stale because of it.
    expect('rememberedSince' in store).toBe(false)
  })

  it.each([
    ['no client', {}],
    ['a client without set', { client: { get: () => null } }],
    ['an empty prefix', { client, keyPrefix: '' }],
    ['a fractional timeout', { client, timeoutMs: 1.5 }],
    ['a zero timeout', { client, timeoutMs: 0 }],
    ['a clock that is not a function', { client, clock: 5 }],
    ['an unknown option (typo)', { client, prefix: 'x:' }],
  ])('refuses %s with a TypeError at construction', (_, options) => {
    expect(() => new RedisReplayStore(options as never)).toThrow(TypeError)
  })

  it('failFastClientOptions keeps the caller options and turns the offline queue off', () => {
    const options = failFastClientOptions({ url: 'redis://127.0.0.1:1', disableOfflineQueue: false, socket: { connectTimeout: 750 } })
    expect(options.url).toBe('redis://127.0.0.1:1')
    expect(options.disableOfflineQueue).toBe(true)
    expect(options.socket.connectTimeout).toBe(750)
    // Bounded back-off that never gives up: 50, 100, 200, … capped at 2 s.
    expect([0, 1, 2, 10, 1_000].map(options.socket.reconnectStrategy)).toEqual([50, 100, 200, 2_000, 2_000])
    expect(() => failFastClientOptions({}, { maxReconnectDelayMs: 0 })).toThrow(TypeError)
  })
})
