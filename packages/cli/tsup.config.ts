import { fileURLToPath } from 'node:url'
import { defineConfig, type Options } from 'tsup'

// The CLI is an application: it ships the exact protocol implementation it was
// tested with. @sealwire/core is bundled from its sources (not its dist), so
// building the CLI never depends on core having been built first; core's own
// dependencies (jose, zod) stay external and are the CLI's dependencies.
const core = fileURLToPath(new URL('../core/src/index.ts', import.meta.url))
const shared: Options = {
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  noExternal: ['@sealwire/core'],
  external: ['jose', 'zod'],
  esbuildOptions(options) {
    options.alias = { '@sealwire/core': core }
  },
}

// tsup builds the configs in parallel: the first cleans dist except the files the second writes.
export default defineConfig([
  // `run(argv, io)` for programs and tests that drive the CLI in-process.
  // The declaration build resolves core to its sources too (tsup sets its own baseUrl, so the root paths miss).
  {
    ...shared,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { baseUrl: '.', paths: { '@sealwire/core': ['../core/src/index.ts'] } } },
    clean: ['!bin.js', '!bin.js.map'],
  },
  // The `sealwire` executable: ESM, hashbang kept from src/bin.ts (tsup marks it executable).
  { ...shared, entry: { bin: 'src/bin.ts' }, format: ['esm'], dts: false, clean: false },
])
