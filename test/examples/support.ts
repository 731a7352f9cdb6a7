// Shared by the example tests: the client's browser bundle, built the way its
// package builds it, and a client that pins an example's self-signed certificate.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const clientDir = fileURLToPath(new URL('../../packages/client/', import.meta.url))

/**
 * Builds `sealwire-client.min.js` with @sealwire/client's own tsup config
 * (its browser entry), from its sources, into a temporary directory: the
 * tests do not depend on (or race with) a `pnpm build` of packages/client.
 */
export async function buildBrowserBundle(): Promise<{ file: string; dispose(): Promise<void> }> {
  const outDir = await mkdtemp(join(tmpdir(), 'sealwire-example-bundle-'))
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

/** The repository root, for child processes. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
