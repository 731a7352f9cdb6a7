import { defineConfig } from 'tsup'
import { workspaceSources } from '../workspace-sources.js'

export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  noExternal: [/^@sealwire\//],
  esbuildPlugins: [workspaceSources],
})
