/**
 * The Lambda adapter invoked directly with recorded-shape events
 * (fixtures/lambda-*.json): API Gateway HTTP API v2 and a Function URL.
 * Over HTTP it runs in the shared matrix through a front-door bridge.
 */
import { openResponse, type SealedRequest } from '@sealwire/core'
import { MemoryReplayStore, createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireLambda, type LambdaHttpEvent, type LambdaHttpResult } from '@sealwire/server/lambda'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { seal, testKeys, type TestKeys } from './helpers/sealing.js'
import { functionUrlEvent, httpApiEvent } from './harness/lambda.js'
import { hasFastProperties } from './helpers/v8-shape.js'

let keys: TestKeys
let server: SealwireServer

beforeAll(async () => {
  keys = await testKeys()
  server = createSealwireServer({ keys: keys.ring, singleInstance: true })
})

/** The HTTP API fixture carrying a sealed body, base64-encoded as API Gateway sends non-text bodies. */
function postEvent(sealed: SealedRequest, rawPath = '/echo', rawQueryString = ''): LambdaHttpEvent {
  const event = httpApiEvent()
  event.rawPath = rawPath
  event.rawQueryString = rawQueryString
  event.body = Buffer.from(sealed.httpBody!).toString('base64')
  event.isBase64Encoded = true
  event.headers['content-length'] = String(sealed.httpBody!.length)
  return event
}

async function open<T>(result: LambdaHttpResult, sealed: SealedRequest) {
  expect(result.headers?.['content-type']).toBe('application/jose')
  const opened = await openResponse(result.body!, { reply: sealed.reply, status: result.statusCode })
  const text = new TextDecoder().decode(opened.body)
  return { status: opened.status, contentType: opened.contentType, text, json: (/json/.test(opened.contentType) ? JSON.parse(text) : undefined) as T }
}

describe('API Gateway HTTP API (payload 2.0)', () => {
  it('opens a base64 body, hands over JSON + typed body, seals the result', async () => {
    const handler = sealwireLambda(
      server,
      async (event) => ({
        statusCode: 201,
        headers: { 'content-type': 'application/json', etag: '"plain"', 'x-app': 1 },
        cookies: ['session=abc; Secure'],
        body: JSON.stringify({ parsed: JSON.parse(event.body!), amount: event.sealwire.body.amount, contentType: event.headers['content-type'] }),
      }),
      { schema: z.object({ amount: z.number() }) },
    )
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo?x=1', body: { amount: 7 } })
    const result = await handler(postEvent(sealed, '/echo', 'x=1'), {})
    expect(result.statusCode).toBe(201)
    expect(result.headers).toMatchObject({ 'x-app': '1', 'cache-control': 'no-store' })
    expect(result.headers?.etag).toBeUndefined()
    expect(result.cookies).toEqual(['session=abc; Secure'])
    expect((await open(result, sealed)).json).toEqual({ parsed: { amount: 7 }, amount: 7, contentType: 'application/json' })
  })

  it('serializes event.body only when the handler reads it, once, and lets the handler replace it', async () => {
    let serialized = 0
    // A schema whose output serializes itself: counts how often the adapter turns it into event.body.
    const Counted = z.object({ amount: z.number() }).transform((v) => ({ ...v, toJSON: () => (serialized++, v) }))
    const sealedOnly = sealwireLambda(server, async (event) => ({ statusCode: 200, body: String(event.sealwire.body.amount) }), { schema: Counted })
    const first = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: { amount: 3 } })
    expect((await open(await sealedOnly(postEvent(first), {}), first)).text).toBe('3')
    expect(serialized).toBe(0)

    const readsTwice = sealwireLambda(
      server,
      async (event) => {
        const text = `${event.body}|${event.body}|${Object.keys(event).includes('body')}`
        event.body = 'replaced'
        return { statusCode: 200, body: `${text}|${event.body}` }
      },
      { schema: Counted },
    )
    const second = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: { amount: 4 } })
    expect((await open(await readsTwice(postEvent(second), {}), second)).text).toBe('{"amount":4}|{"amount":4}|true|replaced')
    expect(serialized).toBe(1)
  })

  it('hands the handler an ordinary (fast) object, body unread or read', async () => {
    const seen: boolean[] = []
    const handler = sealwireLambda(server, async (event) => {
      seen.push(hasFastProperties(event))
      seen.push(event.body === '{"amount":5}' && hasFastProperties(event))
      return { statusCode: 200 }
    })
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: { amount: 5 } })
    expect((await handler(postEvent(sealed), {})).statusCode).toBe(200)
    expect(seen).toEqual([true, true])
  })

  it('binds to rawPath as sent, stage prefix included', async () => {
    const handler = sealwireLambda(server, async (event) => ({ htu: event.sealwire.claims.htu }))
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/prod/echo', body: 1 })
    const event = postEvent(sealed, '/prod/echo')
    event.requestContext.stage = 'prod'
    const result = await handler(event, {})
    expect((await open(result, sealed)).json).toEqual({ htu: '/prod/echo' })
    const elsewhere = await handler(postEvent(await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: 1 }), '/prod/echo'), {})
    expect(elsewhere.statusCode).toBe(400) // binding_mismatch, sealed
  })

  it('a base64 result body is decoded before sealing; a bare return value is a 200 JSON body', async () => {
    const binary = sealwireLambda(server, async () => ({ statusCode: 200, headers: { 'content-type': 'image/png' }, isBase64Encoded: true, body: Buffer.from([137, 80, 78, 71]).toString('base64') }))
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: null })
    const result = await binary(postEvent(sealed), {})
    expect(result.isBase64Encoded).toBe(false)
    const opened = await openResponse(result.body!, { reply: sealed.reply, status: 200 })
    expect([...opened.body]).toEqual([137, 80, 78, 71])

    const bare = sealwireLambda(server, async () => ['a', 1])
    const sealed2 = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: null })
    expect((await open(await bare(postEvent(sealed2), {}), sealed2)).json).toEqual(['a', 1])
  })

  it('a throw is a sealed generic 500', async () => {
    const handler = sealwireLambda(server, async () => {
      throw new Error('db password is hunter2')
    })
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: 1 })
    const result = await handler(postEvent(sealed), {})
    const opened = await open<{ code: string }>(result, sealed)
    expect([opened.status, opened.json.code]).toEqual([500, 'internal_error'])
    expect(opened.text).not.toContain('hunter2')
  })

  it('a status that is no HTTP status (0, 99, 600, 1.5) is the sealed generic 500, dated by the server clock (issue 9, item 6)', async () => {
    const HOUR = 3_600_000
    const ahead = createSealwireServer({ keys: keys.ring, singleInstance: true, clock: () => Date.now() + HOUR })
    for (const statusCode of [0, -1, 99, 600, 1.5]) {
      const handler = sealwireLambda(ahead, async () => ({ statusCode, body: 'secret plaintext' }))
      const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: 1, clock: () => Date.now() + HOUR })
      const result = await handler(postEvent(sealed), {})
      expect(result.statusCode, String(statusCode)).toBe(500)
      expect(result.body).not.toContain('secret plaintext')
      const opened = await open<{ code: string }>(result, sealed)
      expect([opened.status, opened.json.code], String(statusCode)).toEqual([500, 'internal_error'])
      expect(Date.parse(String(result.headers?.date)) - Date.now()).toBeGreaterThan(HOUR - 120_000)
    }
  })

  it('an interim 1xx status becomes a sealed 200 with the same body (a final answer has a body)', async () => {
    const handler = sealwireLambda(server, async () => ({ statusCode: 103, body: 'early' }))
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: 1 })
    const opened = await open(await handler(postEvent(sealed), {}), sealed)
    expect([opened.status, opened.text]).toEqual([200, 'early'])
  })
})

describe('dropResponseHeaders', () => {
  it('drops the listed headers, and `cookies` when set-cookie is listed', async () => {
    const strict = createSealwireServer({ keys: keys.ring, singleInstance: true, dropResponseHeaders: ['location', 'set-cookie'] })
    const handler = sealwireLambda(strict, async () => ({ statusCode: 201, headers: { location: '/a/secret', 'x-kept': '1' }, cookies: ['s=secret'], body: 'ok' }))
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: 1 })
    const result = await handler(postEvent(sealed), {})
    expect(result.headers?.location).toBeUndefined()
    expect(result.headers?.['x-kept']).toBe('1')
    expect(result.cookies).toBeUndefined()
    expect((await open(result, sealed)).text).toBe('ok')
  })
})

describe('Function URL', () => {
  it('a GET with the envelope in the header and a query string', async () => {
    const handler = sealwireLambda(server, async (event) => ({ htu: event.sealwire.claims.htu, hasEnvelope: 'sealwire-envelope' in event.headers, body: event.body ?? null }))
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'GET', target: '/items?color=blue&size=2' })
    const event = functionUrlEvent()
    event.headers['sealwire-envelope'] = sealed.envelope
    const result = await handler(event, {})
    expect((await open(result, sealed)).json).toEqual({ htu: '/items?color=blue&size=2', hasEnvelope: false, body: null })
  })

  it('serves the JWK Set', async () => {
    const handler = sealwireLambda(server, async () => ({ statusCode: 500 }))
    const event = functionUrlEvent()
    event.rawPath = '/.well-known/sealwire/jwks.json'
    event.rawQueryString = ''
    const result = await handler(event, {})
    expect(result.statusCode).toBe(200)
    expect((JSON.parse(result.body!) as { keys: unknown[] }).keys).toHaveLength(2)
  })
})

describe('transport and misuse', () => {
  it('x-forwarded-proto http (a local emulator) is refused; allowed from loopback in development', async () => {
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: 1 })
    const event = postEvent(sealed)
    event.headers['x-forwarded-proto'] = 'http'
    event.requestContext.http.sourceIp = '127.0.0.1'
    const refused = await sealwireLambda(server, async () => 'never')(event, {})
    expect([refused.statusCode, JSON.parse(refused.body!).code]).toEqual([403, 'insecure_transport'])
    const dev = createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true })
    const ok = await sealwireLambda(dev, async () => 'fine')(event, {})
    expect((await open(ok, sealed)).json).toBe('fine')
  })

  it('a REST API (payload 1.0) event is a deployment error, thrown', async () => {
    const handler = sealwireLambda(server, async () => 'never')
    const v1 = { version: '1.0', httpMethod: 'POST', path: '/echo', headers: {}, body: null } as unknown as LambdaHttpEvent
    await expect(handler(v1, {})).rejects.toThrow(/payload format 2.0/)
  })

  it('a body over the cap is refused after decoding, before decryption', async () => {
    const small = createSealwireServer({ keys: keys.ring, singleInstance: true, maxBodyBytes: 100 })
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/echo', body: 'x'.repeat(200) })
    const event = postEvent(sealed)
    delete event.headers['content-length']
    const result = await sealwireLambda(small, async () => 'never')(event, {})
    expect([result.statusCode, JSON.parse(result.body!).code]).toEqual([413, 'payload_too_large'])
  })
})

describe('a server whose replay store protects one instance only', () => {
  it('is refused at construction, since Lambda runs many instances, unless singleInstance says one runs', () => {
    const memory = createSealwireServer({ keys: keys.ring })
    expect(() => sealwireLambda(memory, async () => 'never')).toThrow(TypeError)
    expect(() => sealwireLambda(memory, async () => 'never')).toThrow(/^sealwireLambda: .*Lambda runs many instances.*RedisReplayStore \(@sealwire\/redis\), DynamoDBReplayStore \(@sealwire\/dynamodb\)/)
    const explicit = createSealwireServer({ keys: keys.ring, replayStore: new MemoryReplayStore() })
    expect(() => sealwireLambda(explicit, async () => 'never')).toThrow(/singleInstance: true/)
    const shared = createSealwireServer({ keys: keys.ring, replayStore: { checkAndSet: async () => true } })
    expect(typeof sealwireLambda(shared, async () => 'ok')).toBe('function')
    expect(typeof sealwireLambda(server, async () => 'ok')).toBe('function')
  })

  it('singleInstance must be a boolean', () => {
    expect(() => createSealwireServer({ keys: keys.ring, singleInstance: 'yes' as never })).toThrow(/singleInstance: must be a boolean/)
  })
})
