import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { workspaceSources } from '../../examples/workspace-sources.js'

/**
 * Bundles entries for a web platform (workerd, Deno, Bun) as an app's bundler
 * would: one ESM file each, everything inlined, the @sealwire packages from
 * their sources, `platform: 'browser'` so that no Node built-in can leak in.
 *
 * @example
 * await buildWebBundle({ worker: 'test/runtimes/fixtures/worker-entry.ts' }, outDir) // → outDir/worker.js
 */
export async function buildWebBundle(entry: Record<string, string>, outDir: string): Promise<void> {
  await build({
    entry,
    outDir,
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    bundle: true,
    noExternal: [/.*/],
    splitting: false,
    dts: false,
    sourcemap: false,
    silent: true,
    esbuildPlugins: [workspaceSources],
    tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
  })
}
