import { defineConfig } from 'tsup'
import { workspaceSources } from '../../examples/workspace-sources.js'

/**
 * The soak runs as plain Node processes (the orchestrator and two server
 * instances), so it is bundled first, with the packages from their sources
 * (no build of packages/* needed); npm dependencies stay external and resolve
 * from test/node_modules.
 */
export default defineConfig({
  entry: { soak: 'test/soak/soak.ts', instance: 'test/soak/instance.ts' },
  outDir: 'test/soak/dist',
  format: ['esm'],
  dts: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  noExternal: [/^@sealwire\//],
  external: ['express', 'redis', /^@opentelemetry\//],
  esbuildPlugins: [workspaceSources],
})
