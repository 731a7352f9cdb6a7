import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Options } from 'tsup'

// The CLI is an application: it ships the exact protocol implementation it was
// tested with. @sealwire/core is bundled from its sources (not its dist), so
// building the CLI never depends on core having been built first; core's own
// dependencies (jose, zod) stay external and are the CLI's dependencies.
const core = fileURLToPath(new URL('../core/src/index.ts', import.meta.url))
// src/main.ts reads its version from ../package.json. Bundled as it is, the whole
// manifest would ship inside dist, `workspace:*` specifiers included: only the
// version goes in.
const manifest = fileURLToPath(new URL('./package.json', import.meta.url))
const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }
const versionOnly: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'package-json-version-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]package\.json$/ }, (args) =>
      args.path === manifest ? { contents: JSON.stringify({ version }), loader: 'json' } : undefined,
    )
  },
}

const shared: Options = {
  target: 'node20',
  platform: 'node',
  // No source maps: they would point at core's and the CLI's src/, which the tarball does not ship.
  sourcemap: false,
  noExternal: ['@sealwire/core'],
  external: ['jose', 'zod'],
  esbuildPlugins: [versionOnly],
  esbuildOptions(options) {
    options.alias = { '@sealwire/core': core }
  },
}

// tsup builds the configs in parallel: the first cleans dist except the files the second writes.
export default defineConfig([
  // `run(argv, io)` for programs and tests that drive the CLI in-process.
  // The declaration build resolves core to its sources too (tsup sets its own baseUrl, so the root paths miss),
  // core's `#platform` import included: left to core's import map it resolves to core's dist, which may be
  // absent or, while another build rewrites it, half-written (TS2307 "Cannot find module '#platform'").
  {
    ...shared,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: {
      compilerOptions: {
        baseUrl: '.',
        paths: { '@sealwire/core': ['../core/src/index.ts'], '#platform': ['../core/src/platform/portable.ts'] },
      },
    },
    clean: ['!bin.js', '!bin.js.map'],
  },
  // The `sealwire` executable: ESM, hashbang kept from src/bin.ts (tsup marks it executable).
  { ...shared, entry: { bin: 'src/bin.ts' }, format: ['esm'], dts: false, clean: false },
])
