import { defineConfig } from 'tsup'

export default defineConfig({
  // The root entry, the stream entry (its own file, for lazy loading), the Node-only entry, and both branches of the `#platform`
  // import map (package.json "imports"), which the consumer's runtime or bundler
  // picks by condition: `node`, `bun` and `deno` get node:crypto, everything else
  // (`browser` first) jose/WebCrypto.
  entry: ['src/index.ts', 'src/stream/index.ts', 'src/node/index.ts', 'src/node/platform.ts', 'src/platform/portable.ts'],
  format: ['esm', 'cjs'],
  // Node typings for the declarations of the Node-only entries; `pnpm typecheck`
  // still checks everything outside src/node without them.
  dts: { compilerOptions: { types: ['node'], paths: { '#platform': ['./src/platform/portable.ts'] } } },
  // No source maps: a published map would point at src/ and node_modules paths the
  // tarball does not ship. The output is unminified ES2022, readable as it is.
  sourcemap: false,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // jose and zod stay external: they are dependencies, resolved by the consumer.
  // `#platform` too: resolved at the consumer's, by condition.
  external: ['jose', 'zod', '#platform', /^node:/],
})
