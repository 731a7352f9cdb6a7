// A page on one origin calls the reference API (examples/express) on another,
// in a real Chromium, with the client's browser bundle. The API's CORS allows
// only the envelope's own request fields — not Authorization — and that is
// enough: the bearer token rides inside the envelope, so the browser never
// asks to send it, and no request the server receives carries it in clear.
// With clearHeaders: ['authorization'] the same call is what CORS stops.
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import express from 'express'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createExampleApp } from '../../examples/express/src/index.js'
import { CHROMIUM_ARGS, buildBrowserBundle } from '../helpers/browser.js'
import { requireSystemProgram } from '../helpers/system.js'
import { testCertificate } from '../server/helpers/tls.js'

const chromium = requireSystemProgram('/usr/bin/chromium', 'apt-get install -y chromium')

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>A page calling a Sealwire API on another origin</title>
<pre id="me"></pre>
<p id="status">running</p>
<script type="module" src="/page.js"></script>
`

// The page's script: the API origin and whether Authorization goes in clear come from its URL.
const PAGE_SCRIPT = `
import { createClient } from '/sealwire-client.min.js'
const params = new URL(location.href).searchParams
const show = (id, text) => { document.getElementById(id).textContent = text }
try {
  const api = createClient({ baseUrl: params.get('api'), ...(params.get('clear') === '1' ? { clearHeaders: ['authorization'] } : {}) })
  show('me', JSON.stringify(await api.get('/api/me', { headers: { authorization: 'Bearer demo-token' } })))
  show('status', 'done')
} catch (err) {
  show('status', 'failed: ' + err.name + ' ' + err.message)
}
`

interface Arrived {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function close(server: Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve()
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

describe.skipIf(chromium === undefined)('a page calling the Sealwire API on another origin, in Chromium', () => {
  let bundle: Awaited<ReturnType<typeof buildBrowserBundle>>
  let pageServer: Server
  let apiServer: Server
  let pageOrigin: string
  let apiOrigin: string
  let browser: Browser
  /** Every request the API received, as it arrived: before Sealwire restored anything. */
  const arrived: Arrived[] = []

  beforeAll(async () => {
    bundle = await buildBrowserBundle()
    const tls = await testCertificate() // names 127.0.0.1 and localhost: two origins, one certificate
    const script = await readFile(bundle.file, 'utf8')
    const files: Record<string, [string, string]> = {
      '/': ['text/html; charset=utf-8', PAGE],
      '/page.js': ['text/javascript; charset=utf-8', PAGE_SCRIPT],
      '/sealwire-client.min.js': ['text/javascript; charset=utf-8', script],
    }
    pageServer = createServer(tls, (req, res) => {
      const file = files[new URL(req.url ?? '/', 'https://page').pathname]
      if (file === undefined) res.writeHead(404).end()
      else res.writeHead(200, { 'content-type': file[0] }).end(file[1])
    })
    pageOrigin = `https://127.0.0.1:${await listen(pageServer)}`

    const api = express()
    // A minimal CORS policy: the page's origin, and the request fields a sealed request needs — not Authorization.
    api.use((req, res, next) => {
      arrived.push({ method: req.method, url: req.url, headers: { ...req.headers } })
      res.set({ 'access-control-allow-origin': pageOrigin, vary: 'origin' })
      if (req.method === 'OPTIONS') {
        res.set({ 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'sealwire-envelope, content-type', 'access-control-max-age': '0' })
        res.status(204).end()
        return
      }
      next()
    })
    api.use(await createExampleApp())
    apiServer = createServer(tls, api)
    apiOrigin = `https://localhost:${await listen(apiServer)}`

    const { chromium: playwright } = await import('playwright-core')
    browser = await playwright.launch({ executablePath: chromium!, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await close(pageServer)
    await close(apiServer)
    await bundle?.dispose()
  })

  /** Opens the page (a fresh context: no preflight cache) and waits for its outcome. */
  async function run(query: string): Promise<{ status: string; me: string }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true })
    try {
      const page = await context.newPage()
      await page.goto(`${pageOrigin}/?api=${encodeURIComponent(apiOrigin)}${query}`)
      await page.locator('#status').filter({ hasText: /done|failed/ }).waitFor({ timeout: 20_000 })
      return { status: (await page.textContent('#status'))!, me: (await page.textContent('#me'))! }
    } finally {
      await context.close()
    }
  }

  const preflights = (list: Arrived[]) => list.filter((r) => r.method === 'OPTIONS' && r.url === '/api/me')

  it('GET /api/me with Authorization: Bearer demo-token succeeds under a CORS policy that does not allow Authorization', async () => {
    arrived.length = 0
    const outcome = await run('')
    expect(outcome.status).toBe('done')
    expect(JSON.parse(outcome.me)).toEqual({ user: 'demo' })

    // The browser asked to send the envelope field only: Authorization was never a request field.
    const [preflight, ...more] = preflights(arrived)
    expect(more).toEqual([])
    expect(preflight!.headers.origin).toBe(pageOrigin)
    expect(String(preflight!.headers['access-control-request-headers']).split(',').map((h) => h.trim())).toEqual(['sealwire-envelope'])
    expect(arrived.filter((r) => r.method === 'GET' && r.url === '/api/me')).toHaveLength(1)
    for (const request of arrived) expect(request.headers, `${request.method} ${request.url}`).not.toHaveProperty('authorization')
    expect(JSON.stringify(arrived)).not.toContain('demo-token')
  })

  it('with clearHeaders: ["authorization"] the same call is blocked by CORS: the token would have crossed in clear', async () => {
    arrived.length = 0
    const outcome = await run('&clear=1')
    expect(outcome.status).toMatch(/^failed: TypeError /)
    expect(outcome.me).toBe('')
    // The preflight named authorization, the policy did not allow it, and the request itself was never sent.
    const [preflight] = preflights(arrived)
    expect(String(preflight!.headers['access-control-request-headers'])).toMatch(/\bauthorization\b/)
    expect(arrived.filter((r) => r.method === 'GET' && r.url === '/api/me')).toEqual([])
  })
})
