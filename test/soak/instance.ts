/**
 * One soak server instance, a process of its own: Express + Sealwire on a free
 * loopback port, the replay store and nothing else in Redis, the behaviour
 * guard in memory. Talks to the soak over IPC: `ready` (its port), `stats`
 * (memory, sockets, timers, unhandled rejections), and on SIGTERM the graceful
 * shutdown the README documents: stop accepting, let in-flight requests
 * finish, close the Redis client, exit 0.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RedisReplayStore, connectFailFast, failFastClientOptions } from '@sealwire/redis'
import { MemoryGuardStore, createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import { createClient } from 'redis'

import { NOISE_KEY } from './instance-contract.js'

let unhandled = 0
process.on('unhandledRejection', () => unhandled++)
process.on('uncaughtException', () => unhandled++)

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const client = createClient(failFastClientOptions({ url: env('SOAK_REDIS_URL') }, { maxReconnectDelayMs: 250 }))
client.on('error', () => {}) // outages are the point of the soak
await connectFailFast(client, { timeoutMs: 5_000, onWarning: () => {} })

const sealwire = createSealwireServer({
  keys: [JSON.parse(env('SOAK_PRIVATE_JWK'))],
  replayStore: new RedisReplayStore({ client, timeoutMs: Number(env('SOAK_STORE_TIMEOUT_MS')) }),
  guard: {
    store: new MemoryGuardStore({ budget: Number(env('SOAK_GUARD_BUDGET')), windowSeconds: 10, coolDownSeconds: Number(env('SOAK_GUARD_COOL_DOWN_SECONDS')) }),
    // The fault injector replays, tampers and garbles on purpose, to prove the
    // replay store and the checks behind the guard: it is exempt (an app would
    // exempt an authenticated internal tester the same way).
    identify: (request, address) => (request.header('x-api-key') === NOISE_KEY ? undefined : address),
  },
  allowInsecureLoopback: true,
})
await sealwire.ready

let inFlight = 0
const app = express()
app.use((_req, res, next) => {
  inFlight++
  res.once('close', () => inFlight--)
  next()
})
app.post('/api/transfers', sealwireExpress(sealwire), (req, res) => {
  res.json({ ok: true, echo: req.body })
})
const server = createServer(app)
// Longer than any idle gap of the soak's clients: a server closing an idle
// keep-alive socket just as a client reuses it is a reset no check should count
// (behind a load balancer, its idle timeout is set below this for that reason).
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

const resources = () => {
  const counts: Record<string, number> = {}
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1
  return counts
}

process.on('message', (message: { type: string }) => {
  if (message.type !== 'stats') return
  ;(globalThis as { gc?: () => void }).gc?.()
  const memory = process.memoryUsage()
  process.send!({ type: 'stats', rss: memory.rss, heapUsed: memory.heapUsed, resources: resources(), unhandled, inFlight })
})

process.once('SIGTERM', () => {
  const pending = inFlight
  // Graceful shutdown: no new connections; keep-alive sockets are closed as
  // soon as they are idle (now, or once their in-flight response is sent);
  // then the Redis client, whose pending commands close() lets finish.
  const idle = setInterval(() => server.closeIdleConnections(), 50)
  server.close(async () => {
    clearInterval(idle)
    await client.close()
    process.send!({ type: 'drained', pendingAtSigterm: pending, unhandled }, () => process.exit(0))
  })
  server.closeIdleConnections()
})

process.send!({ type: 'ready', port: (server.address() as AddressInfo).port })
