import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: a published map would point at src/ and node_modules paths the
  // tarball does not ship. The output is unminified ES2022, readable as it is.
  sourcemap: false,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // Dependencies stay external, resolved by the consumer's bundler (wrangler).
  // Nothing from `cloudflare:workers` is imported: the Durable Object is a
  // plain class, and the bindings are typed structurally.
  external: ['@sealwire/core'],
})
