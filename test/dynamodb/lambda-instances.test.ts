/**
 * The replay that multiplying instances let through, on Lambda: two warm
 * execution environments of the deployable entry (examples/serverless
 * lambda-entry.ts), each its own module instance — its own server, its own
 * DynamoDB client — configured from the environment as Lambda configures
 * them, sharing one table on a real DynamoDB API (dynalite on loopback). The
 * same captured envelope is sent to one, then the other: 200, then 409.
 *
 * The control: the same two instances with memory stores (singleInstance
 * declared, wrongly) both answer 200 — the hole the shared table closes.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, importRecipientKey, openResponse, sealRequest } from '@sealwire/core'
import type { LambdaHttpEvent, LambdaHttpResult } from '@sealwire/server/lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { repoRoot } from '../examples/support.js'
import { LOCAL_CREDENTIALS, LocalDynamo } from '../helpers/dynalite.js'

type Handler = (event: LambdaHttpEvent, context?: unknown) => Promise<LambdaHttpResult>

const TABLE = 'sealwire-replay-lambda'
let dynamo: LocalDynamo
let jwks: { keys: unknown[] }
const saved = new Map<string, string | undefined>()

/** What Lambda's configuration sets for the function: its secrets, its table, and (here) the local endpoint. */
function setEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!saved.has(name)) saved.set(name, process.env[name])
    process.env[name] = value
  }
}

beforeAll(async () => {
  dynamo = await LocalDynamo.start()
  await dynamo.createReplayTable(TABLE)
  jwks = { keys: [(await generateKeyPair('P-256')).privateJwk, (await generateKeyPair('X25519')).privateJwk] }
  setEnv({
    SEALWIRE_PRIVATE_JWKS: JSON.stringify(jwks),
    SEALWIRE_REPLAY_TABLE: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  })
})
afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  await dynamo?.close()
})

/** A cold start: the module graph evaluated afresh, as in a new execution environment. */
async function coldStart(): Promise<Handler> {
  vi.resetModules()
  const entry = (await import('../../examples/serverless/src/lambda-entry.js')) as { handler: Handler }
  return entry.handler
}

async function coldStartWithMemoryStore(): Promise<Handler> {
  vi.resetModules()
  const { createLambdaHandler } = await import('../../examples/serverless/src/lambda.js')
  return createLambdaHandler({ keys: jwks, singleInstance: true })
}

/** A sealed transfer as API Gateway delivers it, built from the example's sample event. */
async function capturedTransfer(handler: Handler) {
  const template = JSON.parse(await readFile(join(repoRoot, 'examples/serverless/events/post-transfer.json'), 'utf8')) as LambdaHttpEvent
  const keysEvent = { ...template, rawPath: '/.well-known/sealwire/jwks.json', requestContext: { ...template.requestContext, http: { ...template.requestContext.http, method: 'GET' } } }
  const published = JSON.parse((await handler(keysEvent)).body!) as { keys: Array<{ crv: string }> }
  const recipient = await importRecipientKey(published.keys.find((k) => k.crv === 'P-256')!)
  const sealed = await sealRequest({ recipient, request: { method: 'POST', target: template.rawPath }, body: { to: 'alice', amount: 42 } })
  const event: LambdaHttpEvent = { ...template, body: sealed.httpBody!, requestContext: { ...template.requestContext, timeEpoch: Date.now() } }
  return { event, reply: sealed.reply }
}

describe('a replay sent to a second Lambda instance', () => {
  it('is refused when the instances share a DynamoDB table: 200 on the first, 409 on the second', async () => {
    const first = await coldStart()
    const second = await coldStart()
    expect(second).not.toBe(first)
    const { event, reply } = await capturedTransfer(first)

    const accepted = await first(event)
    expect(accepted.statusCode).toBe(200)
    expect(JSON.parse(new TextDecoder().decode((await openResponse(accepted.body!, { reply, status: 200 })).body))).toEqual({ ok: true })

    const replayed = await second(event)
    expect(replayed.statusCode).toBe(409)
    const refusal = await openResponse(replayed.body!, { reply, status: 409 })
    expect(JSON.parse(new TextDecoder().decode(refusal.body))).toMatchObject({ code: 'replayed_request' })
    // And on the first instance too.
    expect((await first(event)).statusCode).toBe(409)
  })

  it('control: the same two instances, each with its own memory store, both accept it', async () => {
    const first = await coldStartWithMemoryStore()
    const second = await coldStartWithMemoryStore()
    const { event } = await capturedTransfer(first)
    expect((await first(event)).statusCode).toBe(200)
    expect((await second(event)).statusCode).toBe(200)
  })

  it('the entry refuses to start without its table', async () => {
    const table = process.env.SEALWIRE_REPLAY_TABLE
    delete process.env.SEALWIRE_REPLAY_TABLE
    try {
      await expect(coldStart()).rejects.toThrow(/SEALWIRE_REPLAY_TABLE is not set/)
    } finally {
      process.env.SEALWIRE_REPLAY_TABLE = table
    }
  })
})
