// The proof that the whole message is sealed: a recording TLS terminator sits
// between @sealwire/client and each server, and keeps every byte both ways.
// A bearer token, API keys, a tenant id and a search term reach the handlers
// (their sealed answers say so) and appear nowhere in those bytes, in any
// spelling; the sealed response field (WWW-Authenticate) is absent from the
// clear answer and present on the client's Response. The examples show the
// token and the query; the adapter harnesses (whose /headers route answers the
// headers their handler saw) show the listed fields, on every adapter.
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createClient } from '@sealwire/client'
import { createSealwireServer } from '@sealwire/server'
import type { LambdaHttpEvent } from '@sealwire/server/lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pinnedFetch, startExampleServer } from '../../examples/express/src/index.js'
import { startFastifyExample } from '../../examples/fastify/src/index.js'
import { startKoaExample } from '../../examples/koa/src/index.js'
import { createFetchHandler, createLambdaHandler, lambdaFetch, serveFetch } from '../../examples/serverless/src/index.js'
import { secretsIn, startRecordingProxy, type Recorded, type RecordingProxy } from '../helpers/recording-proxy.js'
import { expressHarness } from '../server/harness/express.js'
import { fastifyHarness } from '../server/harness/fastify.js'
import { fetchHarness } from '../server/harness/fetch.js'
import { koaHarness } from '../server/harness/koa.js'
import { lambdaHarness } from '../server/harness/lambda.js'
import type { AdapterHarness } from '../server/harness/spec.js'
import { testKeys } from '../server/helpers/sealing.js'
import { testCertificate } from '../server/helpers/tls.js'
import { repoRoot } from './support.js'

/** A secret nobody could guess: what the recorder looks for. */
const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`

interface Upstream {
  url: string
  /** The upstream's certificate, for an https one. */
  ca?: string
  close(): Promise<void>
}

/** A recording proxy in front of `upstream`, and a client that talks to the server through it only. */
async function behindRecorder(upstream: Upstream): Promise<{ proxy: RecordingProxy; fetch: typeof globalThis.fetch }> {
  const own = await testCertificate()
  const proxy = await startRecordingProxy(upstream.url, upstream.ca === undefined ? {} : { ca: upstream.ca, tls: own })
  return { proxy, fetch: upstream.ca === undefined ? globalThis.fetch : pinnedFetch(own.cert) }
}

/** The request lines of the recorded requests: `GET /api/search HTTP/1.1`, … */
const requestLines = (recorded: Recorded) => recorded.toServer.toString('latin1').match(/^[A-Z]+ \S+ HTTP\/1\.1$/gm) ?? []

const lambdaTemplate = async () => JSON.parse(await readFile(join(repoRoot, 'examples/serverless/events/post-transfer.json'), 'utf8')) as LambdaHttpEvent

const examples: Array<[string, () => Promise<Upstream>]> = [
  [
    'examples/express',
    async () => {
      const running = await startExampleServer({ port: 0 })
      return { url: running.url, ca: running.certificate.cert, close: running.close }
    },
  ],
  ['examples/koa', () => startKoaExample({ port: 0 })],
  [
    'examples/fastify',
    async () => {
      const running = await startFastifyExample({ port: 0 })
      return { url: running.url, ca: running.cert, close: running.close }
    },
  ],
  ['examples/serverless, the Fetch handler on node:http', async () => serveFetch(await createFetchHandler({ allowInsecureLoopback: true, singleInstance: true }), { port: 0 })],
  [
    // API Gateway in miniature on loopback: each HTTP request becomes an event from the sample.
    'examples/serverless, the Lambda handler behind an HTTP front door',
    async () => {
      const invoke = lambdaFetch(await createLambdaHandler({ singleInstance: true }), await lambdaTemplate())
      return serveFetch((request) => invoke(request), { port: 0 })
    },
  ],
]

describe.each(examples)('%s behind a recording TLS terminator', (_name, start) => {
  let upstream: Upstream
  let proxy: RecordingProxy
  let fetch: typeof globalThis.fetch

  beforeAll(async () => {
    upstream = await start()
    ;({ proxy, fetch } = await behindRecorder(upstream))
  })
  afterAll(async () => {
    await proxy?.close()
    await upstream?.close()
  })

  it('GET /api/me: the handler read Authorization, and the token crossed in neither direction', async () => {
    const api = createClient({ baseUrl: proxy.url, fetch })
    await api.get('/api/ping') // key discovery, outside what is inspected
    proxy.take()
    expect(await api.get('/api/me', { headers: { authorization: 'Bearer demo-token' } })).toEqual({ user: 'demo' })
    const recorded = proxy.take()
    expect(requestLines(recorded)).toEqual(['GET /api/me HTTP/1.1'])
    expect(secretsIn(recorded.toServer, ['demo-token', 'Bearer'])).toEqual([])
    expect(secretsIn(recorded.toClient, ['demo-token', 'Bearer'])).toEqual([])
    expect(recorded.toServer.toString('latin1')).not.toMatch(/^authorization:/im)
  })

  it('GET /api/search?q=…: the handler read the query, and the request line carried the path only', async () => {
    const api = createClient({ baseUrl: proxy.url, fetch })
    await api.get('/api/ping')
    proxy.take()
    // The random part alone too: a spelling that encodes the rest differently still shows it.
    const core = secret('plan')
    const q = `${core} for Q3/é&more`
    expect(await api.get(`/api/search?q=${encodeURIComponent(q)}`)).toEqual({ q })
    const recorded = proxy.take()
    expect(requestLines(recorded)).toEqual(['GET /api/search HTTP/1.1'])
    expect(secretsIn(recorded.toServer, [q, core])).toEqual([])
    expect(secretsIn(recorded.toClient, [q, core])).toEqual([])
  })

  it('POST /api/echo with x-api-key and a listed x-tenant-id: answered, and neither crossed', async () => {
    const key = secret('key')
    const tenant = secret('tenant')
    const api = createClient({ baseUrl: proxy.url, fetch, sealHeaders: ['x-tenant-id'] })
    await api.get('/api/ping')
    proxy.take()
    expect(await api.post('/api/echo', { hello: 'world' }, { headers: { 'x-api-key': key, 'x-tenant-id': tenant } })).toEqual({ hello: 'world' })
    const recorded = proxy.take()
    expect(secretsIn(Buffer.concat([recorded.toServer, recorded.toClient]), [key, tenant])).toEqual([])
    expect(recorded.toServer.toString('latin1')).not.toMatch(/^x-(api-key|tenant-id):/im)
  })

  it('a 401 from /api/me: WWW-Authenticate is not in the clear answer, and is on the client’s Response', async () => {
    const api = createClient({ baseUrl: proxy.url, fetch })
    await api.get('/api/ping')
    proxy.take()
    const res = await api.fetch('/api/me', { headers: { authorization: 'Bearer wrong-token' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(await res.json()).toEqual({ error: 'unauthorized' })
    const recorded = proxy.take()
    expect(recorded.toClient.toString('latin1')).toMatch(/^HTTP\/1\.1 401 /)
    expect(recorded.toClient.toString('latin1')).not.toMatch(/www-authenticate/i)
    expect(secretsIn(recorded.toServer, ['wrong-token'])).toEqual([])
  })
})

const harnesses: AdapterHarness[] = [expressHarness, koaHarness, fastifyHarness, fetchHarness, lambdaHarness]

describe.each(harnesses)('the $name adapter behind a recording TLS terminator', (harness) => {
  let upstream: Upstream
  let proxy: RecordingProxy
  let fetch: typeof globalThis.fetch
  let publicKeys: unknown[]

  beforeAll(async () => {
    const keys = await testKeys()
    publicKeys = [...keys.ring.publicJwks().keys]
    const running = await harness.start(createSealwireServer({ keys: keys.ring, sealedRequestHeaders: ['x-tenant-id'], singleInstance: true }))
    upstream = { url: running.secureUrl, ca: (await testCertificate()).cert, close: running.close }
    ;({ proxy, fetch } = await behindRecorder(upstream))
  })
  afterAll(async () => {
    await proxy?.close()
    await upstream?.close()
  })

  it('the handler sees Authorization, x-api-key, a listed x-tenant-id and the query; the wire holds none of them', async () => {
    const token = `Bearer ${secret('tok')}`
    const key = secret('key')
    const tenant = secret('tenant')
    const q = secret('q')
    const api = createClient({ baseUrl: proxy.url, fetch, keys: publicKeys, sealHeaders: ['x-tenant-id'] })
    const seen = (await api.post(`/headers?q=${q}`, { hello: 'world' }, { headers: { authorization: token, 'x-api-key': key, 'x-tenant-id': tenant } })) as { headers: Record<string, string> }
    expect(seen.headers).toMatchObject({ authorization: token, 'x-api-key': key, 'x-tenant-id': tenant })
    const recorded = proxy.take()
    expect(requestLines(recorded)).toEqual(['POST /headers HTTP/1.1'])
    expect(secretsIn(recorded.toServer, [token, key, tenant, q])).toEqual([])
    // The answer repeats them, sealed: not in clear on the way back either.
    expect(secretsIn(recorded.toClient, [token, key, tenant, q])).toEqual([])
  })

  it('what the recorder catches when the application keeps fields outside on purpose (clearHeaders, sealQuery: false)', async () => {
    const key = secret('key')
    const q = secret('q')
    const api = createClient({ baseUrl: proxy.url, fetch, keys: publicKeys, clearHeaders: ['x-api-key'], sealQuery: false })
    const seen = (await api.get(`/headers?q=${q}`, { headers: { 'x-api-key': key } })) as { headers: Record<string, string> }
    expect(seen.headers['x-api-key']).toBe(key)
    const recorded = proxy.take()
    expect(requestLines(recorded)).toEqual([`GET /headers?q=${q} HTTP/1.1`])
    expect(secretsIn(recorded.toServer, [key, q])).toEqual([key, q])
  })
})
