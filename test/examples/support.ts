// Shared by the example tests: the client’s browser bundle, built the way its
// package builds it, and the sealed-API contract every framework example serves.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, SealwireHttpError } from '@sealwire/client'
import { importRecipientKey, openResponse, sealRequest, type SealedRequest } from '@sealwire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

export { buildBrowserBundle } from '../helpers/browser.js'

/** The repository root, for child processes. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))


/** One running example, as the shared contract drives it. */
export interface RunningApi {
  url: string
  /** The fetch to reach it (a pinned one for a self-signed HTTPS example). */
  fetch: typeof globalThis.fetch
  close(): Promise<void>
}

/**
 * The small API every framework example serves — the reference app's routes —
 * driven over real HTTP with the real client (key discovery included) and
 * with core for exact envelopes (replay, tamper).
 */
export function describeSealedApi(name: string, start: () => Promise<RunningApi>, options: { buffered?: boolean } = {}): void {
  describe(`${name}: the sealed API over real HTTP`, () => {
    let app: RunningApi
    beforeAll(async () => {
      app = await start()
    })
    afterAll(async () => {
      await app?.close()
    })

    const client = () => createClient({ baseUrl: app.url, fetch: app.fetch })
    const recipient = async () => {
      const jwks = (await (await app.fetch(`${app.url}/.well-known/sealwire/jwks.json`)).json()) as { keys: Array<{ crv: string }> }
      return importRecipientKey(jwks.keys.find((k) => k.crv === 'X25519')!)
    }
    const send = (target: string, method: string, sealed: SealedRequest, body = sealed.httpBody) =>
      app.fetch(`${app.url}${target}`, { method, headers: sealed.headers, ...(body === undefined ? {} : { body }) })
    const open = async (res: Response, sealed: SealedRequest) => {
      expect(res.headers.get('content-type')).toBe('application/jose')
      const opened = await openResponse(await res.text(), { reply: sealed.reply, status: res.status })
      return { status: opened.status, json: JSON.parse(new TextDecoder().decode(opened.body)) as unknown }
    }

    it('serves a JWK Set with a P-256 and an X25519 key', async () => {
      const res = await app.fetch(`${app.url}/.well-known/sealwire/jwks.json`)
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/)
      const jwks = (await res.json()) as { keys: Array<Record<string, string>> }
      expect(jwks.keys.map((k) => k.crv).sort()).toEqual(['P-256', 'X25519'])
      expect(jwks.keys.some((k) => 'd' in k)).toBe(false)
    })

    it('POST /api/echo answers the decrypted body; GET /api/ping answers {"pong": true}', async () => {
      for (const body of [{ hello: 'world', list: [1, 2] }, [true, null], 'text', 7, null]) expect(await client().post('/api/echo', body)).toEqual(body)
      expect(await client().get('/api/ping')).toEqual({ pong: true })
    })

    it('POST /api/transfer: {"ok": true}, or a sealed 422 invalid_payload naming the paths', async () => {
      expect(await client().post('/api/transfer', { to: 'alice', amount: 42 })).toEqual({ ok: true })
      const err = await client()
        .post('/api/transfer', { to: '', amount: -5 })
        .then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(SealwireHttpError)
      expect(err).toMatchObject({ status: 422, code: 'invalid_payload' })
      expect((err as SealwireHttpError).problem?.issues?.map((i) => i.path.join('.'))).toEqual(['to', 'amount'])
    })

    it('GET /api/events?n=N&interval=MS: N sealed server-sent events, in order, read with the client', async () => {
      const got: unknown[] = []
      for await (const event of client().events('/api/events?n=5&interval=20')) got.push(JSON.parse(event.data))
      expect(got).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })))
    })

    it(options.buffered === true ? 'GET /api/events: one envelope, the platform buffering the answer' : 'GET /api/events: a sealed stream, the first event long before the last', async () => {
      const res = await client().fetch('/api/events?n=4&interval=100')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream\b/)
      const started = performance.now()
      const arrivals: number[] = []
      let text = ''
      for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>) {
        arrivals.push(performance.now() - started)
        text += new TextDecoder().decode(chunk)
      }
      expect(text).toBe([0, 1, 2, 3].map((i) => `data: {"i":${i}}\n\n`).join(''))
      if (options.buffered !== true) expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(150)
    })

    it('GET /api/events with n or interval out of range: 400', async () => {
      for (const target of ['/api/events?n=0', '/api/events?n=1001', '/api/events?n=2&interval=-1', '/api/events?n=x', '/api/events']) {
        const err = await client()
          .get(target)
          .then(() => undefined, (e: unknown) => e)
        expect(err, target).toBeInstanceOf(SealwireHttpError)
        expect(err, target).toMatchObject({ status: 400 })
      }
    })

    it('plain JSON is 415 unsupported_media_type and reaches no handler', async () => {
      for (const [method, target, body] of [['POST', '/api/echo', '{"a":1}'], ['POST', '/api/transfer', '{"to":"a","amount":1}'], ['GET', '/api/ping', undefined]] as const) {
        const res = await app.fetch(`${app.url}${target}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }) })
        expect(res.status, `${method} ${target}`).toBe(415)
        expect(((await res.json()) as { code: string }).code).toBe('unsupported_media_type')
      }
    })

    it('the same envelope twice: 200, then a sealed 409 replayed_request', async () => {
      const sealed = await sealRequest({ recipient: await recipient(), request: { method: 'POST', target: '/api/transfer' }, body: { to: 'alice', amount: 1 } })
      expect(await open(await send('/api/transfer', 'POST', sealed), sealed)).toEqual({ status: 200, json: { ok: true } })
      expect(await open(await send('/api/transfer', 'POST', sealed), sealed)).toMatchObject({ status: 409, json: { code: 'replayed_request' } })
    })

    it('one flipped ciphertext bit: 400 decryption_failed', async () => {
      const sealed = await sealRequest({ recipient: await recipient(), request: { method: 'POST', target: '/api/echo' }, body: { a: 1 } })
      const parts = sealed.httpBody!.split('.')
      const ciphertext = Buffer.from(parts[3]!, 'base64url')
      ciphertext[0]! ^= 0x01
      parts[3] = ciphertext.toString('base64url')
      const res = await send('/api/echo', 'POST', sealed, parts.join('.'))
      expect(res.status).toBe(400)
      expect(((await res.json()) as { code: string }).code).toBe('decryption_failed')
    })

    it('an unknown route, sealed: a sealed 404', async () => {
      const sealed = await sealRequest({ recipient: await recipient(), request: { method: 'POST', target: '/api/nowhere' }, body: {} })
      const res = await send('/api/nowhere', 'POST', sealed)
      expect(res.status).toBe(404)
      expect((await openResponse(await res.text(), { reply: sealed.reply, status: 404 })).status).toBe(404)
    })
  })
}
