// The client's browser bundle in a real Chromium, over HTTPS on loopback: the
// page calls a Sealwire server through the client and shows what it decrypted.
import { readFile } from 'node:fs/promises'
import { KeyRing, generateKeyPair } from '@sealwire/core'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, buildBrowserBundle } from '../helpers/browser.js'
import { requireSystemProgram } from '../helpers/system.js'
import { startExpressServer as startServer } from './support/express-server.js'
import type { Harness } from './support/harness.js'

const chromium = requireSystemProgram('/usr/bin/chromium', 'apt-get install -y chromium')
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>Sealwire in a browser</title>
<pre id="echo"></pre>
<pre id="items"></pre>
<pre id="noble"></pre>
<pre id="refused"></pre>
<p id="status">running</p>
<script type="module">
  import { createClient } from '/sealwire-client.min.js'
  const show = (id, value) => { document.getElementById(id).textContent = typeof value === 'string' ? value : JSON.stringify(value) }
  try {
    const api = createClient({ baseUrl: location.origin })
    show('echo', await api.post('/api/echo', { hello: 'from the browser' }))
    const res = await api.fetch('/api/items?id=9')
    show('items', { status: res.status, type: res.headers.get('content-type').split(';')[0], body: await res.json() })
    const fallback = createClient({ baseUrl: location.origin, crypto: 'noble' })
    show('noble', await fallback.post('/api/echo', { via: 'noble' }))
    await api.post('/api/orders', { item: '', quantity: 1 }).catch((err) => show('refused', err.name + ' ' + err.status + ' ' + err.code))
    show('status', 'done')
  } catch (err) {
    show('status', 'failed: ' + err.name + ' ' + (err.code ?? '') + ' ' + err.message)
  }
</script>
`

describe.skipIf(chromium === undefined)('the browser bundle in Chromium, over HTTPS', () => {
  let bundle: Awaited<ReturnType<typeof buildBrowserBundle>>
  let srv: Harness
  let browser: Browser

  beforeAll(async () => {
    bundle = await buildBrowserBundle()
    const selfsigned = (await import('selfsigned')).default
    const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    })
    srv = await startServer({
      keyRing: await KeyRing.from([(await generateKeyPair('X25519')).privateJwk, (await generateKeyPair('P-256')).privateJwk]),
      tls: { key: pems.private, cert: pems.cert },
      files: {
        '/': { type: 'text/html; charset=utf-8', body: PAGE },
        '/sealwire-client.min.js': { type: 'text/javascript; charset=utf-8', body: await readFile(bundle.file, 'utf8') },
      },
    })
    const { chromium: playwright } = await import('playwright-core')
    browser = await playwright.launch({ executablePath: chromium!, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await srv?.close()
    await bundle?.dispose()
  })

  it('loads the bundle, seals requests, and shows the decrypted answers', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true })
    try {
      const page = await context.newPage()
      await page.goto(`${srv.url}/`)
      await page.locator('#status').filter({ hasText: /done|failed/ }).waitFor({ timeout: 20_000 })
      expect(await page.textContent('#status')).toBe('done')

      expect(JSON.parse((await page.textContent('#echo'))!)).toEqual({ method: 'POST', target: '/api/echo', body: { hello: 'from the browser' }, crv: 'X25519' })
      expect(JSON.parse((await page.textContent('#items'))!)).toEqual({
        status: 200,
        type: 'application/json',
        body: { method: 'GET', target: '/api/items?id=9', id: '9', body: null, crv: 'X25519' },
      })
      expect(JSON.parse((await page.textContent('#noble'))!)).toMatchObject({ body: { via: 'noble' } })
      expect(await page.textContent('#refused')).toBe('SealwireHttpError 422 invalid_payload')
    } finally {
      await context.close()
    }

    // What crossed the wire: envelopes only, the GET's in its header.
    const api = srv.log.filter((e) => e.url.startsWith('/api/'))
    expect(api.map((e) => [e.method, e.url, e.contentType ?? null, e.envelopeHeader])).toEqual([
      ['POST', '/api/echo', 'application/jose', false],
      // The query travels sealed: the request line carries the path only.
      ['GET', '/api/items', null, true],
      ['POST', '/api/echo', 'application/jose', false],
      ['POST', '/api/orders', 'application/jose', false],
    ])
    expect(srv.jwksRequests()).toBe(2) // one per client
  })
})
