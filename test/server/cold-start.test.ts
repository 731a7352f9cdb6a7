/**
 * A request sealed while the server process was still loading, opened by a
 * memory replay store built after it: accepted, because the first store of a
 * process remembers from the process's start (nothing in this process
 * accepted a request before then), while a later store of the same process
 * still dates from its own making. A real child process, a real envelope.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair, importRecipientKey, sealRequest } from '@sealwire/core'
import { workspaceSources } from '../../examples/workspace-sources.js'

let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealwire-cold-start-'))
  await build({
    entry: { 'late-store': fileURLToPath(new URL('./fixtures/late-store.ts', import.meta.url)) },
    outDir: dir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    bundle: true,
    noExternal: [/@sealwire/],
    dts: false,
    silent: true,
    esbuildPlugins: [workspaceSources],
    tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
  })
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a store built after the first request was sealed (slow start, lazy route)', () => {
  it('accepts it, and a second store of the process dates from its own making', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('X25519')
    const child = spawn(process.execPath, [join(dir, 'late-store.js')], { env: { ...process.env, SEALWIRE_TEST_KEY: JSON.stringify(privateJwk) }, stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
    expect((await lines.next()).value).toBe('ready')
    // Sealed after the process started, before its store exists (the child waits past this second).
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request: { method: 'POST', target: '/api/echo' }, body: { hi: 1 } })
    child.stdin!.write(`${sealed.envelope}\n`)
    expect((await lines.next()).value).toBe('accepted')
    expect((await lines.next()).value).toBe('later')
    child.kill()
  }, 30_000)
})
