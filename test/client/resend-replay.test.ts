// A man in the middle who forwards, drops, forges and holds envelopes must not
// get one client call run twice by the server. Real HTTP on loopback: the
// client, an intermediary the test scripts, and a server (the engine behind the
// fetch adapter) whose handler counts runs per call, on clocks the test moves.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ERROR_TABLE, KeyRing, generateKeyPair } from '@sealwire/core'
import { createClient } from '@sealwire/client'
import { createSealwireServer } from '@sealwire/server'
import { withSealwire, type SealwireRequest } from '@sealwire/server/fetch'
import { afterEach, describe, expect, it } from 'vitest'
import { caught } from './support/caught.js'

/** One request as the intermediary received it, kept to be delivered (again) later. */
interface Held {
  method: string
  url: string
  headers: Headers
  body: Buffer<ArrayBuffer> | undefined
}

interface Answer {
  status: number
  headers: Record<string, string>
  body: Buffer
}

type Script = (req: Held, n: number) => Promise<Answer>

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function serve(listener: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<string> {
  const server = createServer((req, res) => {
    listener(req, res).catch(() => res.writeHead(599).end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function read(req: IncomingMessage): Promise<Held> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers.set(name, value)
  return { method: req.method!, url: req.url!, headers, body: chunks.length === 0 ? undefined : Buffer.concat(chunks) }
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers).end(answer.body)
}

/** The server: POST /api/transfer runs its handler, counting runs per `call` in the body; `now` is its clock. */
async function startServer(keyRing: KeyRing, clock: { now: number }) {
  const runs = new Map<string, number>()
  const sealwire = createSealwireServer({ keys: keyRing, allowInsecureLoopback: true, singleInstance: true, clock: () => clock.now })
  await sealwire.ready
  const transfer = withSealwire(sealwire, async (request: SealwireRequest) => {
    const { call } = request.sealwire.body as { call: string }
    runs.set(call, (runs.get(call) ?? 0) + 1)
    return Response.json({ done: call })
  }, { peer: (_request: Request, address: string | undefined) => address })
  const url = await serve(async (req, res) => {
    const held = await read(req)
    const request = new Request(new URL(held.url, `http://${req.headers.host}`), { method: held.method, headers: held.headers, body: held.body ?? null })
    const response = await transfer(request, req.socket.remoteAddress)
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name] = value
    })
    send(res, { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) })
  })
  return { url, runs }
}

/** The intermediary: every request to /api/ goes through `script`; the JWK Set passes untouched. */
async function startIntermediary(upstream: string, script: Script) {
  const seen: Held[] = []
  async function deliver(req: Held): Promise<Answer> {
    const res = await fetch(new URL(req.url, upstream), { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' })
    const headers: Record<string, string> = {}
    res.headers.forEach((value, name) => {
      if (!['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding'].includes(name)) headers[name] = value
    })
    return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) }
  }
  const url = await serve(async (req, res) => {
    const held = await read(req)
    if (!held.url.startsWith('/api/')) return send(res, await deliver(held))
    seen.push(held)
    send(res, await script(held, seen.length))
  })
  return { url, seen, deliver }
}

/** A plain pre-decryption refusal as the intermediary forges it. */
function forged(code: 'stale_request' | 'unknown_key', dateMs: number): Answer {
  const { status } = ERROR_TABLE[code]
  return { status, headers: { 'content-type': 'application/problem+json', date: new Date(dateMs).toUTCString() }, body: Buffer.from(JSON.stringify({ code, status })) }
}

// A whole second plus a little, so `Date` (whole seconds) truncates the way a real server's does.
const T = Math.floor(Date.now() / 1000) * 1000 + 200

describe('a resend under the same jti never runs the handler twice', () => {
  it('a forged stale_request dated +10 s: the client does not resend, so there is no second envelope to hold', async () => {
    const keyRing = await KeyRing.from([(await generateKeyPair('X25519')).privateJwk])
    const serverClock = { now: T }
    const srv = await startServer(keyRing, serverClock)
    // Forward the first envelope (the handler runs), drop its sealed answer, forge a refusal dated +10 s;
    // answer anything after that with another forged refusal and keep it.
    const mitm = await startIntermediary(srv.url, async (req, n) => {
      if (n === 1) await mitm.deliver(req)
      return forged('stale_request', serverClock.now + 10_000)
    })
    const api = createClient({ baseUrl: mitm.url, keys: keyRing.publicJwks(), clock: () => serverClock.now })

    const err = await caught(api.post('/api/transfer', { call: 'a' }))
    expect(err.code).toBe('stale_request')
    expect(srv.runs.get('a')).toBe(1)

    // 67 s later the server has forgotten the first jti (iat + 60 + 5): every copy the intermediary holds is stale.
    serverClock.now = T + 67_000
    for (const held of mitm.seen) await mitm.deliver(held)
    expect(srv.runs.get('a')).toBe(1)
    expect(mitm.seen.length).toBe(1)
    // The error says why, and what to do.
    expect(err.message).toMatch(/clock is off by about 10 s/)
    expect(err.message).toMatch(/not resent/)
    expect(api.clockOffsetMs).toBeGreaterThan(9_000)
  })

  it('a client clock running ahead: the refused envelope, held and delivered once fresh, runs once at most', async () => {
    const keyRing = await KeyRing.from([(await generateKeyPair('X25519')).privateJwk])
    const serverClock = { now: T }
    const srv = await startServer(keyRing, serverClock)
    // An honest path, but it keeps a copy of everything.
    const mitm = await startIntermediary(srv.url, (req) => mitm.deliver(req))
    // Pinned keys: no key-discovery `Date` to learn the offset from before the first request.
    const api = createClient({ baseUrl: mitm.url, keys: keyRing.publicJwks(), clock: () => serverClock.now + 30_000 })

    const outcome = await api.post('/api/transfer', { call: 'b' }).then(
      () => 'ran',
      (e: { code?: string }) => e.code,
    )
    // The offset is learnt: the next call goes through at once.
    expect(await api.post('/api/transfer', { call: 'c' })).toEqual({ done: 'c' })

    // Every copy the intermediary kept, delivered when the first envelope has become fresh, then after.
    for (const at of [T + 30_000, T + 67_000, T + 96_000]) {
      serverClock.now = at
      for (const held of mitm.seen) await mitm.deliver(held)
    }
    expect(srv.runs.get('b') ?? 0).toBeLessThanOrEqual(1)
    expect(srv.runs.get('c')).toBe(1)
    // Refused as too new, and not resent: the call failed, and said so.
    expect(outcome).toBe('stale_request')
  })

  it('a forged unknown_key after a rotation: the retry carries the first iat, so a held copy is never fresh after the jti is forgotten', async () => {
    const keyRing = await KeyRing.from([(await generateKeyPair('X25519')).privateJwk])
    const clock = { now: T }
    const srv = await startServer(keyRing, clock)
    const mitm = await startIntermediary(srv.url, async (req, n) => {
      if (n === 1) {
        // The server has just rotated: the first envelope (old key, still held) runs; its answer is dropped,
        // and the forged refusal is delayed 10 s, so a retry sealed now would carry a later iat.
        await keyRing.add((await generateKeyPair('X25519')).privateJwk, { primary: true })
        await mitm.deliver(req)
        clock.now += 10_000
        return forged('unknown_key', clock.now)
      }
      return forged('unknown_key', clock.now)
    })
    const api = createClient({ baseUrl: mitm.url, clock: () => clock.now })

    const err = await caught(api.post('/api/transfer', { call: 'd' }))
    expect(err.code).toBe('unknown_key')
    expect(mitm.seen.length).toBe(2) // the first envelope, and the one retry sealed to the new key
    expect(srv.runs.get('d')).toBe(1)

    // Deliver the held retry after the server forgot the first jti (T + 66 s), but within 60 s of a later iat.
    for (const at of [T + 67_000, T + 69_000]) {
      clock.now = at
      await mitm.deliver(mitm.seen[1]!)
    }
    expect(srv.runs.get('d')).toBe(1)
  })
})
