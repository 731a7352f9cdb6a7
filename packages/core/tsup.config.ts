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
  // jose and zod stay external: they are dependencies, resolved by the consumer.
  external: ['jose', 'zod'],
})
