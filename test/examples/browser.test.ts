// The browser example (examples/browser) in a real Chromium, served by the
// reference app (examples/express) over HTTPS on loopback: fill the transfer
// form, send it, replay it, tamper with it, send a sealed head, and read what
// the page shows.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { SealwireEvent } from '@sealwire/server'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleServer, type RunningExample } from '../../examples/express/src/index.js'
import { requireSystemProgram } from '../helpers/system.js'
import { CHROMIUM_ARGS } from '../helpers/browser.js'
import { buildBrowserBundle, repoRoot } from './support.js'

const chromium = requireSystemProgram('/usr/bin/chromium', 'apt-get install -y chromium')
const artifacts = join(repoRoot, 'test-results')

describe.skipIf(chromium === undefined)('examples/browser in Chromium, served by examples/express', () => {
  let bundle: Awaited<ReturnType<typeof buildBrowserBundle>>
  let running: RunningExample
  let browser: Browser
  const events: SealwireEvent[] = []

  beforeAll(async () => {
    bundle = await buildBrowserBundle()
    running = await startExampleServer({ port: 0, clientBundle: bundle.file, onEvent: (e) => events.push(e) })
    const { chromium: playwright } = await import('playwright-core')
    browser = await playwright.launch({ executablePath: chromium!, args: CHROMIUM_ARGS })
    await mkdir(artifacts, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
    await running?.close()
    await bundle?.dispose()
  })

  const outcome = async (page: Page) => ({
    status: (await page.textContent('#outcome-status'))!.trim(),
    text: (await page.textContent('#outcome-text'))!.trim(),
    kind: (await page.getAttribute('#outcome', 'class'))!,
  })

  /** Waits until the page has shown the answer to the latest action (the buttons are enabled again). */
  const settled = (page: Page, count: number) => page.locator('#history li').nth(count - 1).waitFor({ timeout: 20_000 })

  it('sends a sealed transfer, shows the wire and the decrypted answer, and shows the replay and the tampered envelope refused', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } })
    const pageErrors: string[] = []
    try {
      const page = await context.newPage()
      page.on('pageerror', (err) => pageErrors.push(err.message))
      page.on('console', (msg) => {
        if (msg.type() === 'error') pageErrors.push(msg.text())
      })
      await page.goto(`${running.url}/`)
      await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 })

      // 1. A transfer: the plaintext stays on the page, the wire carries a JWE, the answer is decrypted.
      await page.fill('#to', 'alice')
      await page.fill('#amount', '42')
      await page.click('#send')
      await settled(page, 1)
      expect(await outcome(page)).toMatchObject({ status: '200', kind: 'outcome ok' })
      expect(JSON.parse((await page.textContent('#answer'))!)).toEqual({ ok: true })
      expect(await page.textContent('#plaintext')).toContain('"to": "alice"')
      const wire = (await page.textContent('#wire'))!
      expect(wire).toMatch(/^eyJ[\w-]+…[\w-]+\.\.[\w-]{16}\.[\w-]+…[\w-]+\.[\w-]{22} {2}\d+ characters$/)
      expect(wire).not.toContain('alice')
      expect(await page.textContent('#wire-line')).toBe('POST /api/transfer · Content-Type: application/jose')
      expect(await page.textContent('#header')).toContain('bound toPOST /api/transfer')
      expect(await page.textContent('#header')).toMatch(/keyX25519 · kid [\w-]{16}…/)
      await page.screenshot({ path: join(artifacts, 'examples-browser-transfer.png'), fullPage: true })

      // 2. Replay: the same bytes again are refused, and the page read the sealed refusal.
      await page.click('#replay')
      await settled(page, 2)
      const replay = await outcome(page)
      expect(replay).toMatchObject({ status: '409', kind: 'outcome refused' })
      expect(replay.text).toContain('replayed_request')
      expect(JSON.parse((await page.textContent('#answer'))!)).toMatchObject({ code: 'replayed_request', status: 409 })
      expect(await page.textContent('#wire-answer')).toMatch(/original → 200 application\/jose[\s\S]*replayed copy → 409 application\/jose/)
      await page.screenshot({ path: join(artifacts, 'examples-browser-replay.png'), fullPage: true })

      // 3. Tamper: one flipped ciphertext bit, refused before decryption.
      await page.click('#tamper')
      await settled(page, 3)
      const tamper = await outcome(page)
      expect(tamper).toMatchObject({ status: '400', kind: 'outcome refused' })
      expect(tamper.text).toContain('decryption_failed')
      expect(await page.textContent('#wire-line')).toContain('one byte altered')
      expect(await page.locator('#wire mark').count()).toBe(1)
      await page.screenshot({ path: join(artifacts, 'examples-browser-tamper.png'), fullPage: true })

      // 4. A schema violation: sealed 422, its issues decrypted.
      await page.fill('#to', '')
      await page.fill('#amount', '-5')
      await page.click('#send')
      await settled(page, 4)
      expect(await outcome(page)).toMatchObject({ status: '422', kind: 'outcome refused' })
      expect(JSON.parse((await page.textContent('#answer'))!)).toMatchObject({ code: 'invalid_payload', issues: [{ path: ['to'] }, { path: ['amount'] }] })

      const history = await page.locator('#history li').allTextContents()
      expect(history).toEqual(['Transfer → 422 invalid_payload', 'Tampered envelope → 400 decryption_failed', 'Replay → 409 replayed_request', 'Transfer 42 € to alice → 200'])
      expect(pageErrors.filter((e) => !/status of (400|409|422)/.test(e))).toEqual([])
    } finally {
      await context.close()
    }

    // The server's side of the same story: what it refused, and why.
    expect(events.filter((e) => e.type === 'rejected').map((e) => e.code)).toEqual(['replayed_request', 'decryption_failed', 'invalid_payload'])
  })

  /** The page, loaded and ready, in a context of its own; no script error may happen on it. */
  const onPage = async (run: (page: Page) => Promise<void>) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } })
    const pageErrors: string[] = []
    try {
      const page = await context.newPage()
      page.on('pageerror', (err) => pageErrors.push(err.message))
      await page.goto(`${running.url}/`)
      await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 })
      await run(page)
      expect(pageErrors).toEqual([])
    } finally {
      await context.close()
    }
  }

  it('the sealed event stream panel: records arrive on the wire one by one, each event shown as its record opens', async () => {
    await onPage(async (page) => {
      await page.fill('#events-n', '5')
      await page.fill('#events-interval', '300')
      await page.click('#send-events')
      // Live: the first event is on the page while the server is still producing the rest.
      await page.locator('#events-clear li').first().waitFor({ timeout: 20_000 })
      expect(await page.locator('#events-clear li').count()).toBeLessThan(5)
      await page.locator('#event-stream[data-state="done"]').waitFor({ timeout: 20_000 })
      expect(await page.locator('#events-clear li').allTextContents()).toEqual([0, 1, 2, 3, 4].map((i) => `data: {"i":${i}}`))
      const wire = await page.locator('#events-wire li').allTextContents()
      expect(wire[0]).toMatch(/^header line · JWE \d+ chars · sts 200 · cty text\/event-stream · str [\w-]{22}$/)
      // One record per event (the final record may be an empty one of its own), ciphertext only.
      expect(wire.length - 1).toBeGreaterThanOrEqual(5)
      for (const record of wire.slice(1)) expect(record).toMatch(/^#\d+ · \d+ bytes · [0-9a-f]+(…[0-9a-f]+)?$/)
      expect(wire.join('\n')).not.toContain('"i"')
      await page.screenshot({ path: join(artifacts, 'examples-browser-events.png'), fullPage: true })
    })
  })

  it('the sealed-head panel: GET /api/me with the demo token and a search, the token and the query inside the envelope', async () => {
    await onPage(async (page) => {
      const term = 'acquisition of Initech, Q3'
      await page.fill('#search-q', term)
      await page.click('#send-head')
      await page.locator('#sealed-head[data-state="done"]').waitFor({ timeout: 20_000 })

      const shown = async (route: string) => {
        const block = page.locator(`.head-exchange[data-route="${route}"]`)
        const answer = (await block.locator('.answer').textContent())!
        return {
          line: (await block.locator('.wire-line').textContent())!,
          envelope: (await block.locator('.cipher').textContent())!,
          status: answer.slice(0, answer.indexOf(' ')),
          answer: JSON.parse(answer.slice(answer.indexOf(' ') + 1)) as unknown,
        }
      }
      const me = await shown('me')
      expect(me).toMatchObject({ line: 'GET /api/me · envelope in the Sealwire-Envelope header', status: '200', answer: { user: 'demo' } })
      const search = await shown('search')
      // The request line as it crossed: the path only, the query sealed.
      expect(search).toMatchObject({ line: 'GET /api/search · envelope in the Sealwire-Envelope header', status: '200', answer: { q: term } })
      for (const { envelope } of [me, search]) {
        expect(envelope).toMatch(/^eyJ[\w-]+…[\w-]+\.\.[\w-]{16}\.[\w-]+(…[\w-]+)?\.[\w-]{22} {2}\d+ characters$/)
        expect(envelope).not.toMatch(/demo-token|Initech/)
      }
      await page.screenshot({ path: join(artifacts, 'examples-browser-sealed-head.png'), fullPage: true })
    })
  })
})
