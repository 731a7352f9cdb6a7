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
  // Dependencies stay external, resolved by the consumer; the AWS SDK is the
  // app's own (a peer), so its command classes match the client it passes.
  external: ['@sealwire/core', 'zod', /^@aws-sdk\//],
})
