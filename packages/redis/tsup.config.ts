import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // Dependencies stay external, resolved by the consumer. `redis` is never
  // imported: the client is the user's, typed structurally.
  external: ['@sealwire/core', 'zod'],
})
