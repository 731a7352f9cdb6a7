/**
 * Sealed streams (docs/PROTOCOL.md §12) between this code and the last release without them, built from
 * git (helpers/old-release.ts): each side as it really was, no re-implementation of an old peer.
 *
 * - new client → old server: `str` ignored, the events arrive in one v1 envelope and the client's
 *   `events()` reads them all the same; a streamed upload is refused 415 before any handler ran, and the
 *   client raises `stream_upload_unsupported` without resending.
 * - old client → new server: no `str`, so a streaming handler's answer is one v1 envelope.
 */
import { Readable } from 'node:stream'
import { createClient, isSealwireError } from '@sealwire/client'
import { KeyRing, generateKeyPair } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express, { type RequestHandler } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LAST_RELEASE_BEFORE_STREAMS, lastReleaseAvailable, loadRelease, type OldRelease } from '../helpers/old-release.js'
import { serveNode } from '../server/harness/listen.js'
import { sseBody } from '../streams/apps.js'

interface App {
  url: string
  /** How many times a handler ran. */
  handled: number
  close(): Promise<void>
}

/** Three events, 50 ms apart, written with `res.write`: a streamed answer where the requester reads one. */
async function startApp(sealwire: RequestHandler): Promise<App> {
  const app = express()
  const running: App = { url: '', handled: 0, close: async () => undefined }
  app.use(sealwire)
  app.get('/api/events', (_req, res) => {
    running.handled += 1
    res.setHeader('content-type', 'text/event-stream')
    sseBody(3, 50).pipe(res) // one res.write per event
  })
  app.post('/api/upload', (_req, res) => {
    running.handled += 1
    res.json({ ok: true })
  })
  const served = await serveNode(app)
  running.url = served.plainUrl
  running.close = served.close
  return running
}

describe.skipIf(!lastReleaseAvailable(LAST_RELEASE_BEFORE_STREAMS))('sealed streams against the last release without them', () => {
  let old: OldRelease
  let jwks: { keys: unknown[] }
  let oldServer: App
  let newServer: App
  beforeAll(async () => {
    old = await loadRelease(LAST_RELEASE_BEFORE_STREAMS)
    jwks = { keys: [(await generateKeyPair('X25519')).privateJwk] }
    oldServer = await startApp(old.sealwireExpress(old.createSealwireServer({ keys: await old.KeyRing.from(jwks.keys as never), singleInstance: true, allowInsecureLoopback: true })) as RequestHandler)
    newServer = await startApp(sealwireExpress(createSealwireServer({ keys: await KeyRing.from(jwks.keys as never), singleInstance: true, allowInsecureLoopback: true, streamedUploads: true })) as RequestHandler)
  }, 120_000)
  afterAll(async () => {
    await oldServer?.close()
    await newServer?.close()
  })

  const events = async (client: ReturnType<typeof createClient>) => {
    const got: unknown[] = []
    for await (const event of client.events('/api/events')) got.push(JSON.parse(event.data))
    return got
  }

  it('new client → old server: the events in one v1 envelope, read by events() all the same', async () => {
    const client = createClient({ baseUrl: oldServer.url })
    const res = await client.fetch('/api/events')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('data: {"i":0}\n\ndata: {"i":1}\n\ndata: {"i":2}\n\n')
    expect(await events(client)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }])
  })

  it('new client → old server: a streamed upload is refused 415 before the handler, reported as stream_upload_unsupported', async () => {
    const before = oldServer.handled
    const client = createClient({ baseUrl: oldServer.url })
    const error = await client
      .fetch('/api/upload', { method: 'POST', body: Readable.from([Buffer.from('chunk one'), Buffer.from('chunk two')]) } as never)
      .then(() => undefined, (e: unknown) => e)
    expect(isSealwireError(error) && error.code).toBe('stream_upload_unsupported')
    expect(oldServer.handled).toBe(before)
  })

  it('old client → new server: no str, so the streaming handler answers one v1 envelope', async () => {
    const client = old.createClient({ baseUrl: newServer.url })
    const res = await client.fetch('/api/events')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(await res.text()).toBe('data: {"i":0}\n\ndata: {"i":1}\n\ndata: {"i":2}\n\n')
  })

  it('new client → new server: the same handler streams', async () => {
    const res = await createClient({ baseUrl: newServer.url }).fetch('/api/events')
    const arrivals: number[] = []
    const started = performance.now()
    for await (const _chunk of res.body! as unknown as AsyncIterable<Uint8Array>) arrivals.push(performance.now() - started)
    expect(arrivals.length).toBeGreaterThanOrEqual(3)
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(60)
  })
})
