import { defineConfig, type Options } from 'tsup'
import { sources, workspaceSources } from '../../examples/workspace-sources.js'

/**
 * The bench runner and the HTTP benchmark's server run as plain Node processes
 * (the server apart from the load generator), so they are bundled first, with
 * the packages from their sources (no build of packages/* needed); npm
 * dependencies stay external and resolve from test/node_modules.
 */
/**
 * Core's `#platform` import as Node resolves it (the `node` condition), from
 * its source: the package's own imports map points at dist, which may be
 * missing or stale. Without it the bench would measure the portable backend.
 */
const nodePlatform: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'sealwire-node-platform',
  setup(build) {
    build.onResolve({ filter: /^#platform$/ }, () => ({ path: sources('core/src/node/platform.ts') }))
  },
}

export default defineConfig({
  entry: { run: 'test/bench/run.ts', server: 'test/bench/http/server.ts' },
  outDir: 'test/bench/dist',
  format: ['esm'],
  dts: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  noExternal: [/^@sealwire\//],
  external: ['express', 'fastify', 'hono', /^@hono\//, 'autocannon'],
  esbuildPlugins: [nodePlatform, workspaceSources],
})
