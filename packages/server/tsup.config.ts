import { defineConfig } from 'tsup'

export default defineConfig({
  // One entry per subpath export: the framework code stays out of the root entry.
  // dist/index.* and dist/adapters/<name>.*, matching the exports map.
  entry: ['src/index.ts', 'src/adapters/*.ts', '!src/**/*.test.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: a published map would point at src/ and node_modules paths the
  // tarball does not ship. The output is unminified ES2022, readable as it is.
  sourcemap: false,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // Dependencies and (type-only) framework peers are resolved by the consumer, and so is
  // the optional @opentelemetry/api: the app's own copy holds its global MeterProvider.
  external: ['@sealwire/core', 'zod', 'express', 'koa', 'fastify', '@opentelemetry/api', /^node:/],
})
