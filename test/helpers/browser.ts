// What every browser test shares: Debian's Chromium launched the one way this
// machine allows, and the client's browser bundle built from its sources.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export { CHROMIUM_ARGS } from './chromium.js'

/**
 * An ES `import … from 'node:x'`, `import('node:x')`, `export … from 'node:x'` or
 * `require('node:x')`: what must not reach a browser or Worker bundle.
 */
export const NODE_IMPORT = /\b(?:from|import|require)\s*\(?\s*["']node:/

const clientDir = fileURLToPath(new URL('../../packages/client/', import.meta.url))

/**
 * Builds `sealwire-client.min.js` with @sealwire/client's own tsup config (its
 * browser entry), from its sources, into a temporary directory: the tests do
 * not depend on, or race with, a `pnpm build` of packages/client.
 */
export async function buildBrowserBundle(): Promise<{ file: string; dispose(): Promise<void> }> {
  const outDir = await mkdtemp(join(tmpdir(), 'sealwire-browser-bundle-'))
  const { build } = await import('tsup')
  const configs = (await import('../../packages/client/tsup.config.js')).default as unknown as Array<Record<string, unknown>>
  const browser = configs.find((c) => c.platform === 'browser')!
  await build({
    ...browser,
    entry: { 'sealwire-client.min': join(clientDir, 'src/index.ts') },
    tsconfig: join(clientDir, 'tsconfig.json'),
    outDir,
    sourcemap: false,
    silent: true,
    config: false,
  })
  return { file: join(outDir, 'sealwire-client.min.js'), dispose: () => rm(outDir, { recursive: true, force: true }) }
}
