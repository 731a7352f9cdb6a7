/**
 * Express specifics beyond the shared matrix: body parsers mounted before
 * Sealwire, every way an Express handler can answer, and errors that reach
 * Express's own error page; a frontend in the same app (a browser page load
 * refused with a detail that says why, and the arrangement the READMEs show).
 * Real HTTPS on loopback.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import express, { type ErrorRequestHandler } from 'express'
import methodOverride from 'method-override'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { expectNothingInClear } from './helpers/clear-text.js'
import { rawRequest } from './helpers/http.js'
import { openSealed, plainProblem, seal, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'
import { testCertificate } from './helpers/tls.js'
import { serveNode } from './harness/listen.js'
import { SECRET, type RunningApp } from './harness/spec.js'

let keys: TestKeys
let ca: string
let server: SealwireServer
const apps: RunningApp[] = []

beforeAll(async () => {
  keys = await testKeys()
  ca = (await testCertificate()).cert
  server = createSealwireServer({ keys: keys.ring })
})
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
})

async function serve(app: express.Express): Promise<string> {
  const running = await serveNode(app)
  apps.push(running)
  return running.secureUrl
}

const sealPost = (target: string, body: unknown) => seal({ recipient: keys.recipients['P-256'], method: 'POST', target, body })

describe('body parsers mounted before Sealwire', () => {
  it('a parser that consumed the envelope is reported with the order to use', async () => {
    const errors: string[] = []
    const app = express()
    app.use(express.text({ type: '*/*' }))
    app.use(sealwireExpress(server))
    app.post('/x', (_req, res) => {
      res.json({ reached: true })
    })
    app.use(((err, _req, res, _next) => {
      errors.push(String(err.message))
      res.status(500).end()
    }) satisfies ErrorRequestHandler)
    const url = await serve(app)
    const sealed = await sealPost('/x', { a: 1 })
    const res = await sendSealed(url, 'POST', '/x', sealed, { ca })
    expect(res.status).toBe(500)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/already read by another middleware/)
    expect(errors[0]).toMatch(/Mount sealwireExpress\(\) before any body parser/)
  })

  it('express.json() before Sealwire leaves application/jose alone, and GETs work', async () => {
    const app = express()
    app.use(express.json())
    app.use(sealwireExpress(server))
    app.post('/x', (req, res) => {
      res.json({ got: req.body })
    })
    app.get('/y', (req, res) => {
      res.json({ htu: req.sealwire?.htu })
    })
    const url = await serve(app)
    const sealed = await sealPost('/x', { a: 1 })
    expect((await openSealed(await sendSealed(url, 'POST', '/x', sealed, { ca }), sealed)).json).toEqual({ got: { a: 1 } })
    const get = await seal({ recipient: keys.recipients.X25519, method: 'GET', target: '/y?q=1' })
    expect((await openSealed(await sendSealed(url, 'GET', '/y?q=1', get, { ca }), get)).json).toEqual({ htu: '/y?q=1' })
  })
})

describe('every way a handler answers is sealed', () => {
  let url: string
  beforeAll(async () => {
    const app = express()
    app.use(sealwireExpress(server))
    app.post('/send-text', (_req, res) => {
      res.send('<p>hello</p>')
    })
    app.post('/send-status', (_req, res) => {
      res.sendStatus(202)
    })
    app.post('/raw', (_req, res) => {
      res.writeHead(201, { 'x-custom': 'kept', 'content-type': 'text/plain' })
      res.write('part one, ')
      res.end('part two')
    })
    app.post('/redirect', (_req, res) => {
      res.redirect(303, '/elsewhere')
    })
    app.get('/etag', (_req, res) => {
      res.json({ same: 'every time' })
    })
    app.post('/next-400', (_req, _res, next) => {
      next(Object.assign(new Error(SECRET), { status: 400 }))
    })
    app.post('/twice', (_req, res) => {
      res.json({ first: true })
      res.json({ second: SECRET }) // a handler bug: must not go out in plaintext while the first is sealing
    })
    app.post('/async-throw', async () => {
      await Promise.resolve()
      throw new Error(SECRET)
    })
    url = await serve(app)
  })

  it('res.send(string) keeps its media type inside the envelope', async () => {
    const sealed = await sealPost('/send-text', null)
    const opened = await openSealed(await sendSealed(url, 'POST', '/send-text', sealed, { ca }), sealed)
    expect(opened.contentType).toMatch(/^text\/html/)
    expect(opened.text).toBe('<p>hello</p>')
  })

  it('res.sendStatus', async () => {
    const sealed = await sealPost('/send-status', null)
    const opened = await openSealed(await sendSealed(url, 'POST', '/send-status', sealed, { ca }), sealed)
    expect(opened.status).toBe(202)
    expect(opened.text).toBe('Accepted')
  })

  it('res.writeHead + res.write + res.end: status, headers and every chunk', async () => {
    const sealed = await sealPost('/raw', null)
    const res = await sendSealed(url, 'POST', '/raw', sealed, { ca })
    expect(res.headers['x-custom']).toBe('kept')
    const opened = await openSealed(res, sealed)
    expect(opened.status).toBe(201)
    expect(opened.text).toBe('part one, part two')
  })

  it('res.redirect: the Location header stays, the body is sealed', async () => {
    const sealed = await sealPost('/redirect', null)
    const res = await sendSealed(url, 'POST', '/redirect', sealed, { ca })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/elsewhere')
    expect((await openSealed(res, sealed)).status).toBe(303)
  })

  it('no ETag of the plaintext, and a matching If-None-Match never turns into a 304', async () => {
    const first = await seal({ recipient: keys.recipients['P-256'], method: 'GET', target: '/etag' })
    const res = await sendSealed(url, 'GET', '/etag', first, { ca })
    expect(res.headers.etag).toBeUndefined()
    // The weak ETag Express computes for this body (etag package: length-sha1): a correct
    // guess of the plaintext. Were it honoured, a 304 would confirm the guess.
    const body = JSON.stringify({ same: 'every time' })
    const guess = `W/"${Buffer.byteLength(body).toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`
    const again = await seal({ recipient: keys.recipients['P-256'], method: 'GET', target: '/etag' })
    const res2 = await sendSealed(url, 'GET', '/etag', again, { ca, headers: { 'if-none-match': guess } })
    expect(res2.status).toBe(200)
    expect((await openSealed(res2, again)).json).toEqual({ same: 'every time' })
  })

  it("an error with a 4xx status reaching Express's error page: status kept, only the reason phrase", async () => {
    const sealed = await sealPost('/next-400', null)
    const res = await sendSealed(url, 'POST', '/next-400', sealed, { ca })
    const opened = await openSealed(res, sealed)
    expect(opened.status).toBe(400)
    expect(opened.text).toBe('Bad Request')
    expect(opened.text).not.toContain(SECRET)
  })

  it('a second res.json() while the first is being sealed goes nowhere, in particular not in plaintext', async () => {
    const sealed = await sealPost('/twice', null)
    const res = await sendSealed(url, 'POST', '/twice', sealed, { ca })
    expect(res.body).not.toContain(SECRET)
    expect((await openSealed(res, sealed)).json).toEqual({ first: true })
  })

  it('an async handler that rejects: sealed 500 internal_error', async () => {
    const sealed = await sealPost('/async-throw', null)
    const opened = await openSealed<{ code: string }>(await sendSealed(url, 'POST', '/async-throw', sealed, { ca }), sealed)
    expect(opened.status).toBe(500)
    expect(opened.json.code).toBe('internal_error')
    expect(opened.text).not.toContain(SECRET)
  })
})

describe('other middleware around Sealwire', () => {
  it("a response wrapper mounted before Sealwire (like compression) keeps working on the sealed bytes", async () => {
    const app = express()
    app.use((_req, res, next) => {
      const end = res.end.bind(res) as (...args: unknown[]) => unknown
      res.end = ((...args: unknown[]) => {
        res.setHeader('x-outer-saw', String(args[0]).slice(0, 7)) // the start of what it was given
        return end(...args)
      }) as typeof res.end
      next()
    })
    app.use(sealwireExpress(server))
    app.post('/x', (_req, res) => {
      res.json({ ok: true })
    })
    const url = await serve(app)
    const sealed = await sealPost('/x', null)
    const res = await sendSealed(url, 'POST', '/x', sealed, { ca })
    expect(res.headers['x-outer-saw']).toBe('eyJhbGc') // the envelope's protected header, not the plaintext
    expect((await openSealed(res, sealed)).json).toEqual({ ok: true })
  })

  it('a body compressed inside Sealwire is refused as internal_error, not sealed half-described', async () => {
    const app = express()
    app.use(sealwireExpress(server))
    app.post('/gz', (_req, res) => {
      res.setHeader('content-encoding', 'gzip')
      res.type('json').send(gzipSync(JSON.stringify({ secret: SECRET })))
    })
    const url = await serve(app)
    const sealed = await sealPost('/gz', null)
    const opened = await openSealed<{ code: string }>(await sendSealed(url, 'POST', '/gz', sealed, { ca }), sealed)
    expect([opened.status, opened.json.code]).toEqual([500, 'internal_error'])
  })
})

describe('per-route middleware only', () => {
  it('applies the schema as step 11 and types req.body', async () => {
    const Schema = z.object({ n: z.number().int() })
    const app = express()
    app.post('/n', sealwireExpress(server, { schema: Schema }), (req, res) => {
      const n: number = req.body.n
      res.json({ double: n * 2 })
    })
    app.get('/open', (_req, res) => {
      res.json({ public: true })
    })
    const url = await serve(app)
    const ok = await sealPost('/n', { n: 21 })
    expect((await openSealed(await sendSealed(url, 'POST', '/n', ok, { ca }), ok)).json).toEqual({ double: 42 })
    const bad = await sealPost('/n', { n: 'x' })
    const refused = await openSealed<{ code: string }>(await sendSealed(url, 'POST', '/n', bad, { ca }), bad)
    expect([refused.status, refused.json.code]).toEqual([422, 'invalid_payload'])
    // Routes without the middleware are untouched.
    const open = await rawRequest(`${url}/open`, { ca })
    expect(JSON.parse(open.body)).toEqual({ public: true })
  })
  it('a request the app derives and re-dispatches is not the opened one: its answer to the client stays sealed', async () => {
    // An app-wide middleware opens /batch; the handler re-dispatches each item through the app with a request
    // derived from its own (a "batch" endpoint), where a per-route middleware with a schema runs. Taken for the
    // opened request, the derived one would refine the outer body and, on failure, release the outer answer from
    // sealing; it must instead be treated as a request of its own (and refused: its body was never an envelope).
    const Item = z.object({ item: z.string() })
    const app = express()
    app.use(sealwireExpress(server))
    app.post('/refine', sealwireExpress(server, { schema: Item }), (req, res) => res.json({ got: req.body }))
    app.post('/batch', async (req, res) => {
      const results: unknown[] = []
      for (const item of (req.body as { items: string[] }).items) {
        const derived = Object.assign(Object.create(Object.getPrototypeOf(req) as object) as express.Request, req, { url: '/refine', originalUrl: '/refine', body: { item } })
        results.push(
          await new Promise((done) => {
            const inner = Object.create(res) as express.Response & Record<string, unknown>
            inner.json = (body: unknown) => (done({ body }), inner)
            inner.status = () => inner
            inner.setHeader = () => inner
            inner.writeHead = () => inner
            inner.end = () => (done({ ended: true }), inner)
            ;(app as unknown as { handle: (q: unknown, r: unknown, next: (err?: unknown) => void) => void }).handle(derived, inner, (err) => done({ error: err instanceof Error }))
          }),
        )
      }
      res.json({ secret: SECRET, results })
    })
    const url = await serve(app)
    const sealed = await sealPost('/batch', { items: ['a', 'b'] })
    const answer = await sendSealed(url, 'POST', '/batch', sealed, { ca })
    expectNothingInClear(answer, SECRET)
    const opened = await openSealed<{ secret: string; results: Array<{ error?: boolean }> }>(answer, sealed)
    expect(opened.json.secret).toBe(SECRET)
    expect(opened.json.results).toEqual([{ error: true }, { error: true }])
  })
})

describe('hardening (issue 9)', () => {
  let url: string
  const calls: string[] = []
  beforeAll(async () => {
    const app = express()
    app.use(sealwireExpress(server))
    // The real middleware, mounted behind Sealwire: by header (its default), by
    // another header, and by a `_method` field of the (decrypted) body.
    app.use('/override', methodOverride())
    app.use('/override-x', methodOverride('X-HTTP-Method'))
    app.use('/override-body', methodOverride((req) => (req.body as { _method?: string } | null)?._method ?? ''))
    for (const base of ['/override', '/override-x', '/override-body']) {
      app.post(`${base}/items/:id`, (req, res) => {
        calls.push(`POST ${base}`)
        res.json({ updated: req.params.id })
      })
      app.delete(`${base}/items/:id`, (req, res) => {
        calls.push(`DELETE ${base}`)
        res.json({ deleted: req.params.id, secret: SECRET })
      })
    }
    app.post('/status-message', (_req, res) => {
      res.statusMessage = `Conflict with ${SECRET}`
      res.status(409).json({ sealed: true })
    })
    app.post('/write-head-reason', (_req, res) => {
      res.writeHead(409, `Conflict with ${SECRET}`, { 'content-type': 'text/plain' })
      res.end('sealed')
    })
    app.post('/attachment', (_req, res) => {
      res.attachment(`${SECRET}.pdf`)
      res.send('file')
    })
    app.post('/status-zero', (_req, res) => {
      res.statusCode = 0
      res.end(SECRET)
    })
    url = await serve(app)
  })

  for (const [base, header] of [['/override', 'x-http-method-override'], ['/override-x', 'x-http-method']] as const) {
    it(`item 1: method-override(${header}) cannot turn a sealed POST into the DELETE handler`, async () => {
      calls.length = 0
      const sealed = await sealPost(`${base}/items/7`, { name: 'x' })
      const res = await sendSealed(url, 'POST', `${base}/items/7`, sealed, { ca, headers: { [header]: 'DELETE' } })
      const opened = await openSealed<{ code: string }>(res, sealed)
      expect([opened.status, opened.json.code]).toEqual([400, 'binding_mismatch'])
      expect(calls).toEqual([])
      // The victim's request as sealed still goes through: its jti was not used up.
      const ok = await openSealed(await sendSealed(url, 'POST', `${base}/items/7`, sealed, { ca }), sealed)
      expect(ok.json).toEqual({ updated: '7' })
      expect(calls).toEqual([`POST ${base}`])
    })
  }

  it('item 1: method-override mounted before Sealwire: the request line it rewrote no longer matches htm', async () => {
    const app = express()
    const reached: string[] = []
    app.use(methodOverride())
    app.use(sealwireExpress(server))
    app.post('/items/:id', (_req, res) => {
      reached.push('POST')
      res.json({ updated: true })
    })
    app.delete('/items/:id', (_req, res) => {
      reached.push('DELETE')
      res.json({ deleted: true })
    })
    const before = await serve(app)
    const sealed = await sealPost('/items/7', null)
    const res = await sendSealed(before, 'POST', '/items/7', sealed, { ca, headers: { 'x-http-method-override': 'DELETE' } })
    const opened = await openSealed<{ code: string }>(res, sealed)
    expect([opened.status, opened.json.code]).toEqual([400, 'binding_mismatch'])
    expect(reached).toEqual([])
  })

  it('item 1: a method-override reading `_method` from the body: the handled method must be htm, so binding_mismatch', async () => {
    calls.length = 0
    const sealed = await sealPost('/override-body/items/7', { _method: 'DELETE' })
    const res = await sendSealed(url, 'POST', '/override-body/items/7', sealed, { ca })
    const opened = await openSealed<{ code: string }>(res, sealed)
    expect([opened.status, opened.json.code]).toEqual([400, 'binding_mismatch'])
    expect(calls).toEqual([])
    expect(opened.text).not.toContain(SECRET)
  })

  it('item 5: the reason phrase of res.statusMessage / writeHead(409, reason) never travels in clear', async () => {
    for (const path of ['/status-message', '/write-head-reason']) {
      const sealed = await sealPost(path, null)
      const res = await sendSealed(url, 'POST', path, sealed, { ca })
      expectNothingInClear(res, SECRET)
      expect((await openSealed(res, sealed)).status).toBe(409)
    }
  })

  it('item 5: Content-Disposition (res.attachment) is dropped: it names the plaintext', async () => {
    const sealed = await sealPost('/attachment', null)
    const res = await sendSealed(url, 'POST', '/attachment', sealed, { ca })
    expectNothingInClear(res, SECRET)
    expect((await openSealed(res, sealed)).text).toBe('file')
  })

  it('item 6: res.statusCode = 0 is a sealed 500, never a sealed 200', async () => {
    const sealed = await sealPost('/status-zero', null)
    const res = await sendSealed(url, 'POST', '/status-zero', sealed, { ca })
    const opened = await openSealed<{ code: string }>(res, sealed)
    expect([res.status, opened.status, opened.json.code]).toEqual([500, 500, 'internal_error'])
    expect(res.body + opened.text).not.toContain(SECRET)
  })
})

describe('dropResponseHeaders: keeping Location and Set-Cookie out of the clear (issue 9, item 5)', () => {
  it('removes the listed headers from sealed responses; the sealed body carries what they would have said', async () => {
    const strict = createSealwireServer({ keys: keys.ring, dropResponseHeaders: ['Location', 'set-cookie'] })
    const app = express()
    app.use(sealwireExpress(strict))
    app.post('/login', (_req, res) => {
      res.cookie('session', `s-${SECRET}`)
      res.location(`/accounts/${SECRET}`)
      res.status(201).json({ next: `/accounts/${SECRET}` })
    })
    const url = await serve(app)
    const sealed = await sealPost('/login', null)
    const res = await sendSealed(url, 'POST', '/login', sealed, { ca })
    expect(res.headers.location).toBeUndefined()
    expect(res.headers['set-cookie']).toBeUndefined()
    expectNothingInClear(res, SECRET)
    expect((await openSealed(res, sealed)).json).toEqual({ next: `/accounts/${SECRET}` })
  })
})

// A frontend served by the same app: a page load refused with a detail that says
// why, and the arrangement the README shows.
/** What Chromium sends when the address bar or a link loads a page. */
const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

describe('a browser page load on a sealed path', () => {
  it('is refused with a 415 whose detail names the two arrangements that fix it', async () => {
    const app = express()
    app.use(sealwireExpress(server))
    app.get('/', (_req, res) => res.send('<!doctype html><title>app</title>'))
    const url = await serve(app)
    const loads: Record<string, string>[] = [NAVIGATION, { accept: 'text/html', 'sec-fetch-dest': 'document' }, { accept: 'text/html', 'sec-fetch-mode': 'navigate' }]
    for (const headers of loads) {
      const res = await rawRequest(`${url}/`, { headers, ca })
      expect(res.status).toBe(415)
      const problem = plainProblem(res)
      expect(problem.code).toBe('unsupported_media_type')
      expect(problem.detail).toMatch(/page load.*no Sealwire envelope/i)
      expect(problem.detail).toContain("app.use('/api', sealwireExpress(sealwire))")
      expect(problem.detail).toContain('serve static files before it')
    }
  })

  it('a script or a fetch without an envelope keeps the protocol detail', async () => {
    const app = express()
    app.use(sealwireExpress(server))
    const url = await serve(app)
    const others: Record<string, string>[] = [{ accept: '*/*', 'sec-fetch-dest': 'script', 'sec-fetch-mode': 'no-cors' }, { accept: 'text/html' }, { accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }]
    for (const headers of others) {
      const res = await rawRequest(`${url}/main.js`, { headers, ca })
      expect(res.status).toBe(415)
      expect(plainProblem(res).detail).toBe('No Sealwire envelope: send an application/jose body or a Sealwire-Envelope header')
    }
  })
})

describe("the README's arrangement: static files first, Sealwire on /api and the key set's path", () => {
  it('serves the page, the script and the favicon in the clear and seals the API', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'sealwire-frontend-'))
    writeFileSync(join(dist, 'index.html'), '<!doctype html><script src="/main.js"></script>')
    writeFileSync(join(dist, 'main.js'), 'console.log(1)')
    writeFileSync(join(dist, 'favicon.ico'), Buffer.from([0, 0, 1, 0]))
    const app = express()
    app.use(express.static(dist))
    app.use(['/api', server.jwksPath], sealwireExpress(server))
    app.post('/api/echo', (req, res) => res.json({ got: req.body }))
    const url = await serve(app)
    for (const path of ['/', '/main.js', '/favicon.ico']) expect((await rawRequest(`${url}${path}`, { headers: NAVIGATION, ca })).status).toBe(200)
    const jwks = await rawRequest(`${url}${server.jwksPath}`, { ca })
    expect([jwks.status, jwks.headers['content-type']]).toEqual([200, 'application/jwk-set+json'])
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/api/echo', body: { a: 1 } })
    const res = await sendSealed(url, 'POST', '/api/echo', sealed, { ca })
    expect(res.status).toBe(200)
    expect((await openSealed(res, sealed)).json).toEqual({ got: { a: 1 } })
    expect((await rawRequest(`${url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}', ca })).status).toBe(415)
    rmSync(dist, { recursive: true, force: true })
  })
})
