// The portable backend's `dir` path (every answer a browser opens, every request it seals within a
// session) in a real Chromium, where it decodes and encodes base64url in place: against jose, and refusing
// what it must. Node 20 takes the other branch of the same code (packages/core/src/crypto/webcrypto-dir.test.ts).
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workspaceSources } from '../../examples/workspace-sources.js'
import { CHROMIUM_ARGS } from '../helpers/browser.js'
import { requireSystemProgram } from '../helpers/system.js'

const chromium = requireSystemProgram('/usr/bin/chromium', 'apt-get install -y chromium')

describe.skipIf(chromium === undefined)('the dir path of the portable backend, in Chromium', () => {
  let browser: Browser
  let script: string

  beforeAll(async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'sealwire-dir-page-'))
    try {
      const { build } = await import('tsup')
      await build({
        entry: { 'dir-page': join(import.meta.dirname, 'fixtures/dir-page.ts') },
        outDir,
        format: ['iife'],
        outExtension: () => ({ js: '.js' }),
        dts: false,
        target: 'es2022',
        platform: 'browser',
        noExternal: [/.*/],
        esbuildPlugins: [workspaceSources],
        silent: true,
        config: false,
      })
      script = await readFile(join(outDir, 'dir-page.js'), 'utf8')
    } finally {
      await rm(outDir, { recursive: true, force: true })
    }
    const { chromium: playwright } = await import('playwright-core')
    browser = await playwright.launch({ executablePath: chromium!, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
  })

  it('agrees with jose both ways, within a session too, and refuses every altered or re-spelled envelope', async () => {
    const page = await browser.newPage()
    // A loopback origin: a secure context, as WebCrypto needs; the browser answers it itself.
    const origin = 'http://127.0.0.1:9'
    await page.route(`${origin}/**`, (route) =>
      new URL(route.request().url()).pathname === '/dir-page.js'
        ? route.fulfill({ contentType: 'text/javascript', body: script })
        : route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><script src="/dir-page.js"></script>' }),
    )
    await page.goto(`${origin}/`)
    type Run = () => Promise<{ native: { setFromBase64: boolean; toBase64: boolean }; problems: string[] }>
    const result = await page.evaluate(() => (globalThis as unknown as { runDirChecks: Run }).runDirChecks())
    // The branch this test is for: without these the page would run Node's branch again.
    expect(result.native).toEqual({ setFromBase64: true, toBase64: true })
    expect(result.problems).toEqual([])
  })
})
