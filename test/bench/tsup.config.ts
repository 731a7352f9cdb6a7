import { defineConfig } from 'tsup'
import { workspaceSources } from '../../examples/workspace-sources.js'

/**
 * The bench runner and the HTTP benchmark's server run as plain Node processes
 * (the server apart from the load generator), so they are bundled first, with
 * the packages from their sources (no build of packages/* needed); npm
 * dependencies stay external and resolve from test/node_modules. The
 * plugin gives a Node build core's native backend, as an installed package gets it,
 * and the browser page's build core's portable one, as a web bundler gets it.
 */
export default defineConfig([
  {
    entry: { run: 'test/bench/run.ts', server: 'test/bench/http/server.ts' },
    outDir: 'test/bench/dist',
    format: ['esm'],
    dts: false,
    // The page's bundle is the other config's, built at the same time.
    clean: ['!session-page.js'],
    target: 'node20',
    platform: 'node',
    noExternal: [/^@sealwire\//],
    external: ['express', 'fastify', 'hono', /^@hono\//, 'autocannon', 'playwright-core'],
    esbuildPlugins: [workspaceSources],
  },
  {
    // The sessions micro-benchmark for Chromium: one self-contained script, everything bundled in.
    entry: { 'session-page': 'test/bench/browser/session-page.ts' },
    outDir: 'test/bench/dist',
    format: ['iife'],
    outExtension: () => ({ js: '.js' }),
    dts: false,
    clean: false,
    target: 'es2022',
    platform: 'browser',
    noExternal: [/.*/],
    esbuildPlugins: [workspaceSources],
  },
])
