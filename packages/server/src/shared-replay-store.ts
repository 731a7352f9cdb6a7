import type { SealwireServer } from './create-server.js'

/**
 * Refuses, at construction, a server whose replay store protects one instance
 * only, for an adapter whose platform runs many (Lambda, Workers, Vercel, Deno
 * Deploy): each warm instance would remember its own `jti`s, and the same
 * envelope sent to a second instance would be accepted — a replay the
 * protocol promises to stop (docs/PROTOCOL.md §6).
 */
export function requireSharedReplayStore(server: SealwireServer, adapter: string, platform: string): void {
  if (server?.instanceLocalReplayStore !== true) return
  throw new TypeError(
    `${adapter}: the server keeps accepted request ids in this instance's memory (MemoryReplayStore, the default), ` +
      `and ${platform} runs many instances: a request replayed to another instance would be accepted. ` +
      'Give createSealwireServer a shared replayStore: RedisReplayStore (@sealwire/redis), DynamoDBReplayStore (@sealwire/dynamodb) ' +
      'or DurableObjectReplayStore (@sealwire/cloudflare). If exactly one instance serves this API, say so with singleInstance: true.',
  )
}
