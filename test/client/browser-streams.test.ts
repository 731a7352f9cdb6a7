// The client's browser bundle in a real Chromium reading sealed streams (docs/PROTOCOL.md §12)
// from @sealwire/server on loopback: 1 000 SSE events through client.events, the first event of a
// slow stream long before its end, and a 1 GiB streamed download read through Response.body while
// the renderer's memory stays bounded (its resident size sampled from /proc as the page reads).
import { once } from 'node:events'
import { readFile, readdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KeyRing, generateKeyPair } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express from 'express'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bigRoute, eventsRoute } from './support/stream-routes.js'
import { CHROMIUM_ARGS, buildBrowserBundle } from '../helpers/browser.js'
import { requireSystemProgram } from '../helpers/system.js'

const chromium = requireSystemProgram('/usr/bin/chromium', 'apt-get install -y chromium')
const DOWNLOAD_MB = 1024

// 127.0.0.1 is a secure context: WebCrypto is there over plain http.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<pre id="events"></pre>
<pre id="latency"></pre>
<pre id="download"></pre>
<p id="status">running</p>
<script type="module">
  import { createClient } from '/sealwire-client.min.js'
  const show = (id, value) => { document.getElementById(id).textContent = JSON.stringify(value) }
  try {
    const api = createClient({ baseUrl: location.origin })
    let count = 0, sum = 0, lastId = ''
    for await (const { data, id } of api.events('/api/events?n=1000&interval=0')) { count++; sum += JSON.parse(data).i; lastId = id }
    show('events', { count, sum, lastId })

    const started = performance.now()
    const at = []
    for await (const _ of api.events('/api/events?n=6&interval=100')) at.push(performance.now() - started)
    show('latency', { first: at[0], last: at.at(-1), count: at.length })

    const res = await api.fetch('/api/big?mb=${DOWNLOAD_MB}')
    const reader = res.body.getReader()
    let bytes = 0, chunks = 0, bad = 0
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      bytes += r.value.length
      chunks++
      if (r.value[0] !== 0x61 || r.value[r.value.length - 1] !== 0x61) bad++
    }
    show('download', { status: res.status, type: res.headers.get('content-type'), bytes, chunks, bad })
    show('status', 'done')
  } catch (err) {
    show('status', 'failed: ' + err.name + ' ' + (err.code ?? '') + ' ' + err.message)
  }
</script>
`

/** Resident bytes of every Chromium renderer process, summed (from /proc: what the pages hold, buffers included). */
async function rendererRss(): Promise<number> {
  let total = 0
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (!cmdline.includes('--type=renderer')) continue
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)
    if (kb !== null) total += Number(kb[1]) * 1024
  }
  return total
}

describe.skipIf(chromium === undefined)('the browser bundle in Chromium on sealed streams', () => {
  let bundle: Awaited<ReturnType<typeof buildBrowserBundle>>
  let server: Server
  let url: string
  let browser: Browser

  beforeAll(async () => {
    bundle = await buildBrowserBundle()
    const script = await readFile(bundle.file, 'utf8')
    const sealwire = createSealwireServer({ keys: await KeyRing.from([(await generateKeyPair('X25519')).privateJwk, (await generateKeyPair('P-256')).privateJwk]), singleInstance: true, allowInsecureLoopback: true })
    const app = express()
    app.get('/', (_req, res) => void res.type('html').send(PAGE))
    app.get('/sealwire-client.min.js', (_req, res) => void res.type('text/javascript').send(script))
    app.use(sealwireExpress(sealwire))
    app.get('/api/events', eventsRoute)
    app.get('/api/big', bigRoute)
    server = createServer(app)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const { chromium: playwright } = await import('playwright-core')
    browser = await playwright.launch({ executablePath: chromium!, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    server?.closeAllConnections()
    server?.close()
    await bundle?.dispose()
  })

  it('reads 1 000 SSE events, the first of a slow stream early, and a 1 GiB download record by record in bounded memory', async () => {
    const page = await browser.newPage()
    let sampling = true
    try {
      await page.goto('about:blank')
      const baseline = await rendererRss()
      let peak = baseline
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await rendererRss())
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      })()
      await page.goto(`${url}/`)
      await page.locator('#status').filter({ hasText: /done|failed/ }).waitFor({ timeout: 150_000 })
      sampling = false
      await sampler
      // A buffered 1 GiB body would hold at least that much; record by record it is the page, its bundle and a few
      // records (174 MiB measured here, most of it the new page itself).
      expect(peak - baseline, `renderer RSS grew ${((peak - baseline) / 2 ** 20).toFixed(0)} MiB`).toBeLessThan(384 * 2 ** 20)
      expect(await page.textContent('#status')).toBe('"done"')
      expect(JSON.parse((await page.textContent('#events'))!)).toEqual({ count: 1000, sum: (999 * 1000) / 2, lastId: '999' })
      const latency = JSON.parse((await page.textContent('#latency'))!) as { first: number; last: number; count: number }
      expect(latency.count).toBe(6)
      expect(latency.last - latency.first).toBeGreaterThan(400)
      const download = JSON.parse((await page.textContent('#download'))!) as { status: number; type: string; bytes: number; chunks: number; bad: number }
      expect(download).toMatchObject({ status: 200, type: 'application/octet-stream', bytes: DOWNLOAD_MB * 1024 * 1024, bad: 0 })
      // Released record by record (64 KiB each), not as one buffered body.
      expect(download.chunks).toBeGreaterThanOrEqual(DOWNLOAD_MB * 16)
    } finally {
      sampling = false
      await page.close()
    }
  }, 200_000)
})
