/**
 * A frontend served by the same Express app as the sealed API: a browser that
 * navigates to a sealed path is refused with a 415 whose detail says why and
 * how to arrange the app, and the arrangement the README shows (static files
 * first, Sealwire on the API prefix) serves the page and still seals the API.
 * Real HTTPS on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest } from './helpers/http.js'
import { openSealed, plainProblem, seal, sendSealed, testKeys, type TestKeys } from './helpers/sealing.js'
import { testCertificate } from './helpers/tls.js'
import { serveNode } from './harness/listen.js'
import type { RunningApp } from './harness/spec.js'

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

/** What Chromium sends when the address bar or a link loads a page. */
const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

describe('a browser page load on a sealed path', () => {
  it('is refused with a 415 whose detail names the two arrangements that fix it', async () => {
    const app = express()
    app.use(sealwireExpress(server))
    app.get('/', (_req, res) => res.send('<!doctype html><title>app</title>'))
    const url = await serve(app)
    for (const headers of [NAVIGATION, { accept: 'text/html', 'sec-fetch-dest': 'document' }, { accept: 'text/html', 'sec-fetch-mode': 'navigate' }]) {
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
    for (const headers of [{ accept: '*/*', 'sec-fetch-dest': 'script', 'sec-fetch-mode': 'no-cors' }, { accept: 'text/html' }, { accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }]) {
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
