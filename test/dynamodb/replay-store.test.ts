/**
 * DynamoDBReplayStore against a real DynamoDB API: dynalite on loopback, the
 * AWS SDK v3 client as apps use it. One conditional PutItem per call: accepted
 * once, refused after, re-accepted once expired (even while the expired item
 * is still in the table, as it is until DynamoDB's lazy TTL deletion), exactly
 * one winner among concurrent writers, and fail closed (503
 * replay_guard_unavailable) within the deadline when DynamoDB cannot answer.
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { isSealwireError } from '@sealwire/core'
import { DynamoDBReplayStore, replayTableDefinition } from '@sealwire/dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalDynamo } from '../helpers/dynalite.js'
import { freePort } from '../helpers/system.js'

const TABLE = 'sealwire-replay'
let dynamo: LocalDynamo
let client: DynamoDBClient
const clients: DynamoDBClient[] = []

beforeAll(async () => {
  dynamo = await LocalDynamo.start()
  await dynamo.createReplayTable(TABLE)
  client = dynamo.client()
  clients.push(client)
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  await dynamo?.close()
})

let counter = 0
const freshJti = () => `jti-${Date.now().toString(36)}-${counter++}`

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return isSealwireError(error) ? error.code : `not a SealwireError: ${String(error)}`
  }
  return 'resolved'
}

describe('DynamoDBReplayStore on dynalite', () => {
  it('accepts a jti once and refuses it after, until it expires', async () => {
    const store = new DynamoDBReplayStore({ client, tableName: TABLE })
    const jti = freshJti()
    const expiresAt = Date.now() + 60_000
    expect(await store.checkAndSet(jti, expiresAt)).toBe(true)
    expect(await store.checkAndSet(jti, expiresAt)).toBe(false)
    // Another store (another instance) on the same table sees it too.
    expect(await new DynamoDBReplayStore({ client: dynamo.client(), tableName: TABLE }).checkAndSet(jti, expiresAt)).toBe(false)
    // Prefixes keep applications apart.
    expect(await new DynamoDBReplayStore({ client, tableName: TABLE, keyPrefix: 'other-app:' }).checkAndSet(jti, expiresAt)).toBe(true)
  })

  it('writes the item DynamoDB TTL reads: epoch seconds rounded up, and the exact ms the condition compares', async () => {
    const store = new DynamoDBReplayStore({ client, tableName: TABLE })
    const jti = freshJti()
    const expiresAt = Date.now() + 65_001.5
    expect(await store.checkAndSet(jti, expiresAt)).toBe(true)
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `sealwire:jti:${jti}` } } }))
    expect(Item?.expiresAt?.N).toBe(String(Math.ceil(Math.ceil(expiresAt) / 1000)))
    expect(Item?.expiresAtMs?.N).toBe(String(Math.ceil(expiresAt)))
    expect(replayTableDefinition(TABLE).timeToLive.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true })
  })

  it('TTL boundary: held through the last millisecond before expiresAt, absent from expiresAt on, though the item is still there', async () => {
    let now = Date.now()
    const store = new DynamoDBReplayStore({ client, tableName: TABLE, clock: () => now })
    const jti = freshJti()
    const expiresAt = now + 5_000
    expect(await store.checkAndSet(jti, expiresAt)).toBe(true)
    now = expiresAt - 1
    expect(await store.checkAndSet(jti, expiresAt)).toBe(false)
    // The item was not deleted (dynalite has no sweeper; DynamoDB's is lazy): it must not count.
    now = expiresAt
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `sealwire:jti:${jti}` } } }))
    expect(Item).toBeDefined()
    expect(await store.checkAndSet(jti, expiresAt + 70_000)).toBe(true)
    // Re-recorded with the new expiry: refused again.
    expect(await store.checkAndSet(jti, expiresAt + 70_000)).toBe(false)
  })

  it('an expiresAt already past is refused (fail closed), never recorded unprotected', async () => {
    const store = new DynamoDBReplayStore({ client, tableName: TABLE })
    expect(await codeOf(store.checkAndSet(freshJti(), Date.now() - 1))).toBe('replay_guard_unavailable')
    expect(await codeOf(store.checkAndSet('', Date.now() + 1000))).toBe('replay_guard_unavailable')
    expect(await codeOf(store.checkAndSet(freshJti(), Number.NaN))).toBe('replay_guard_unavailable')
  })

  it('of 50 concurrent writes of one jti from two clients, exactly one is accepted', async () => {
    const second = dynamo.client()
    clients.push(second)
    const stores = [new DynamoDBReplayStore({ client, tableName: TABLE }), new DynamoDBReplayStore({ client: second, tableName: TABLE })]
    for (let round = 0; round < 3; round++) {
      const jti = freshJti()
      const expiresAt = Date.now() + 60_000
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2]!.checkAndSet(jti, expiresAt)))
      expect(results.filter(Boolean)).toHaveLength(1)
    }
  })

  it('a missing table fails closed', async () => {
    const store = new DynamoDBReplayStore({ client, tableName: 'no-such-table' })
    expect(await codeOf(store.checkAndSet(freshJti(), Date.now() + 60_000))).toBe('replay_guard_unavailable')
  })

  it('options are checked at construction: TypeError naming the option', () => {
    expect(() => new DynamoDBReplayStore({ client, tableName: 'x' })).toThrow(/tableName/)
    expect(() => new DynamoDBReplayStore({ client: {} as DynamoDBClient, tableName: TABLE })).toThrow(/DynamoDBClient/)
    expect(() => new DynamoDBReplayStore({ client, tableName: TABLE, timeoutMs: 0 })).toThrow(TypeError)
    expect(() => new DynamoDBReplayStore({ client, tableName: TABLE, keyPrefix: '' })).toThrow(TypeError)
    expect(() => new DynamoDBReplayStore({ client, tableName: TABLE, extra: 1 } as never)).toThrow(TypeError)
  })
})

describe('DynamoDBReplayStore fails closed, within its deadline', () => {
  const servers: Array<Server | ReturnType<typeof createTcpServer>> = []
  afterAll(() => {
    for (const s of servers) s.close()
  })

  const timed = async (store: DynamoDBReplayStore) => {
    const started = performance.now()
    const code = await codeOf(store.checkAndSet(freshJti(), Date.now() + 60_000))
    return { code, ms: performance.now() - started }
  }
  const clientOf = (endpoint: string) => {
    const c = dynamo.client({ endpoint })
    clients.push(c)
    return c
  }

  it('an endpoint nobody listens on (connection refused): 503, well within the deadline', async () => {
    const store = new DynamoDBReplayStore({ client: clientOf(`http://127.0.0.1:${await freePort()}`), tableName: TABLE, timeoutMs: 1_000 })
    const { code, ms } = await timed(store)
    expect(code).toBe('replay_guard_unavailable')
    expect(ms).toBeLessThan(1_500)
  })

  it('an endpoint that accepts and never answers (a hung network): 503 at the deadline', async () => {
    const sockets: Socket[] = []
    const hung = createTcpServer((socket) => sockets.push(socket))
    servers.push(hung)
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve))
    const store = new DynamoDBReplayStore({ client: clientOf(`http://127.0.0.1:${(hung.address() as AddressInfo).port}`), tableName: TABLE, timeoutMs: 300 })
    const { code, ms } = await timed(store)
    for (const s of sockets) s.destroy()
    expect(code).toBe('replay_guard_unavailable')
    expect(ms).toBeGreaterThanOrEqual(290)
    expect(ms).toBeLessThan(1_000)
  })

  it('throttling (ProvisionedThroughputExceededException on every try): 503, never a guess', async () => {
    // DynamoDB's own error answer on the wire (JSON 1.0 protocol): dynalite cannot be made to throttle.
    let calls = 0
    const throttling = createHttpServer((req, res) => {
      calls++
      req.resume()
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `req-${calls}` })
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' }))
    })
    servers.push(throttling)
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(throttling.address() as AddressInfo).port}`
    const store = new DynamoDBReplayStore({ client: clientOf(endpoint), tableName: TABLE, timeoutMs: 1_000 })
    const { code, ms } = await timed(store)
    expect(code).toBe('replay_guard_unavailable')
    expect(ms).toBeLessThan(1_500)
    expect(calls).toBeGreaterThanOrEqual(1)
  })
})

