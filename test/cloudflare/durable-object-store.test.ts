/**
 * DurableObjectReplayStore and SealwireReplayObject in real workerd, through
 * Miniflare: the fixture Worker (fixtures/replay-worker.ts) bundled as an app
 * would be, run as several Workers — separate isolates with separate module
 * state, as Cloudflare runs a Worker in many isolates and locations — bound
 * to one Durable Object namespace. The same sealed envelope sent to a second
 * Worker is refused; of concurrent copies exactly one is accepted; expired
 * jtis are accepted again and erased by the object's alarm.
 *
 * The control: two Workers with memory stores (singleInstance declared,
 * wrongly) both accept the same envelope.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair, importRecipientKey, openResponse, sealRequest, type SealedRequest } from '@sealwire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebBundle } from '../helpers/web-bundle.js'

const require = createRequire(import.meta.url)
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

type WorkerFetch = { fetch(url: string, init?: RequestInit): Promise<Response> }
const ORIGIN = 'https://api.example.test'

let outDir: string
let miniflare: { dispose(): Promise<void>; getWorker(name: string): Promise<unknown> } | undefined
let recipient: Awaited<ReturnType<typeof importRecipientKey>>
const worker = async (name: string) => (await miniflare!.getWorker(name)) as WorkerFetch

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'sealwire-durable-object-'))
  await buildWebBundle({ worker: here('fixtures/replay-worker.ts') }, outDir)
  const p256 = await generateKeyPair('P-256')
  recipient = await importRecipientKey(p256.publicJwk)
  const script = readFileSync(join(outDir, 'worker.js'), 'utf8')
  const keys = JSON.stringify({ keys: [p256.privateJwk] })
  const common = { modules: true, script, compatibilityDate: '2025-01-01' }
  const shared = { className: 'SealwireReplayObject', scriptName: 'a' }
  const { Miniflare } = require('miniflare') as typeof import('miniflare')
  const mf = new Miniflare({
    workers: [
      // Two Workers sharing the namespace defined by `a`.
      { ...common, name: 'a', bindings: { SEALWIRE_PRIVATE_JWKS: keys }, durableObjects: { SEALWIRE_REPLAY: 'SealwireReplayObject' } },
      { ...common, name: 'b', bindings: { SEALWIRE_PRIVATE_JWKS: keys }, durableObjects: { SEALWIRE_REPLAY: shared } },
      // Expiry: a namespace of its own, one shard, so its size is all its records.
      { ...common, name: 'e', bindings: { SEALWIRE_PRIVATE_JWKS: keys, SHARDS: '1' }, durableObjects: { SEALWIRE_REPLAY: 'SealwireReplayObject' } },
      // The control: per-isolate memory stores.
      { ...common, name: 'm1', bindings: { SEALWIRE_PRIVATE_JWKS: keys, STORE: 'memory' }, durableObjects: { SEALWIRE_REPLAY: shared } },
      { ...common, name: 'm2', bindings: { SEALWIRE_PRIVATE_JWKS: keys, STORE: 'memory' }, durableObjects: { SEALWIRE_REPLAY: shared } },
    ],
  })
  miniflare = mf as unknown as typeof miniflare
  await mf.ready
}, 120_000)

afterAll(async () => {
  await miniflare?.dispose()
  if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true })
})

const sealEcho = (body: unknown) => sealRequest({ recipient, request: { method: 'POST', target: '/api/echo' }, body })
const send = async (name: string, sealed: SealedRequest) =>
  (await worker(name)).fetch(`${ORIGIN}/api/echo`, { method: 'POST', headers: sealed.headers, body: sealed.httpBody! })

async function codeOf(response: Response, sealed: SealedRequest): Promise<string> {
  const opened = await openResponse(await response.text(), { reply: sealed.reply, status: response.status })
  return (JSON.parse(new TextDecoder().decode(opened.body)) as { code: string }).code
}

async function check(name: string, jti: string, expiresAt: number): Promise<{ accepted?: boolean; error?: string }> {
  const response = await (await worker(name)).fetch(`${ORIGIN}/store/check`, { method: 'POST', body: JSON.stringify({ jti, expiresAt }) })
  return (await response.json()) as { accepted?: boolean; error?: string }
}

const storedIn = async (name: string) => ((await (await (await worker(name)).fetch(`${ORIGIN}/store/size`)).json()) as { stored: number }).stored
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('the Durable Object replay store in workerd', () => {
  it('a replay sent to a second Worker is refused: 200 on the first, 409 on the second', async () => {
    const sealed = await sealEcho({ amount: 42 })
    const first = await send('a', sealed)
    expect(first.status).toBe(200)
    const opened = await openResponse(await first.text(), { reply: sealed.reply, status: 200 })
    expect(JSON.parse(new TextDecoder().decode(opened.body))).toEqual({ echo: { amount: 42 } })

    const replay = await send('b', sealed)
    expect(replay.status).toBe(409)
    expect(await codeOf(replay, sealed)).toBe('replayed_request')
    expect((await send('a', sealed)).status).toBe(409)
  })

  it('control: two Workers with memory stores both accept the same envelope', async () => {
    // Started first: a memory store refuses requests sealed before it started (it cannot vouch for them).
    for (const name of ['m1', 'm2']) await (await (await worker(name)).fetch(`${ORIGIN}/.well-known/sealwire/jwks.json`)).arrayBuffer()
    await sleep(1_000 - (Date.now() % 1_000) + 10) // iat is in whole seconds: seal in the second after the stores started
    const sealed = await sealEcho({ amount: 1 })
    expect((await send('m1', sealed)).status).toBe(200)
    expect((await send('m2', sealed)).status).toBe(200)
  })

  it('of 40 concurrent copies of one envelope across two Workers, exactly one is accepted', async () => {
    for (let round = 0; round < 2; round++) {
      const sealed = await sealEcho({ round })
      const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => send(i % 2 === 0 ? 'a' : 'b', sealed).then((r) => (void r.body?.cancel(), r.status))))
      expect(statuses.filter((s) => s === 200)).toHaveLength(1)
      expect(statuses.filter((s) => s === 409)).toHaveLength(39)
    }
  })

  it('expiry: held until expiresAt, accepted again after it, and erased by the alarm', async () => {
    const before = await storedIn('e')
    const expiresAt = Date.now() + 1_500
    const jtis = ['exp-1', 'exp-2', 'exp-3']
    for (const jti of jtis) expect(await check('e', jti, expiresAt)).toEqual({ accepted: true })
    expect(await check('e', 'exp-1', expiresAt)).toEqual({ accepted: false })
    expect(await storedIn('e')).toBe(before + 3)

    await sleep(expiresAt - Date.now() + 700)
    // The alarm fired at expiresAt: the records are gone.
    expect(await storedIn('e')).toBe(before)
    // Expired: new again.
    expect(await check('e', 'exp-1', Date.now() + 60_000)).toEqual({ accepted: true })
    expect(await check('e', 'exp-1', Date.now() + 60_000)).toEqual({ accepted: false })
  }, 15_000)

  it('fails closed: an expiresAt already past by the object clock is refused, not recorded', async () => {
    expect(await check('a', 'past', Date.now() - 1_000)).toEqual({ error: 'replay_guard_unavailable' })
    expect(await check('a', '', Date.now() + 1_000)).toEqual({ error: 'replay_guard_unavailable' })
  })
})
