import { defineConfig } from 'tsup'

export default defineConfig([
  {
    // For npm consumers (bundlers, Node): dependencies stay external. ESM is
    // split, so the noble fallback is its own chunk, loaded only where
    // WebCrypto lacks a curve.
    entry: { index: 'src/index.ts', noble: 'src/noble.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    // No source maps: a published map would point at src/ and node_modules paths
    // the tarball does not ship. This output is unminified, readable as it is.
    sourcemap: false,
    // dist/browser is the other config's; it builds at the same time.
    clean: ['!browser/**'],
    target: 'es2022',
    platform: 'neutral',
    splitting: true,
    external: ['@sealwire/core', 'jose', 'zod', /^@noble\//],
  },
  {
    // One self-contained file for `<script type="module">`: jose, zod, noble and
    // core bundled in, minified. Runtimes with both curves in WebCrypto never
    // run the noble part, but it is in the file.
    entry: { 'sealwire-client.min': 'src/index.ts' },
    outDir: 'dist/browser',
    format: ['esm'],
    dts: false,
    // No map either: its sources would be workspace paths (node_modules/.pnpm/...).
    sourcemap: false,
    clean: true,
    minify: true,
    target: 'es2022',
    platform: 'browser',
    splitting: false,
    noExternal: [/.*/],
    outExtension: () => ({ js: '.js' }),
  },
])
