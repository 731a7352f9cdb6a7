import { defineConfig, type Options } from 'tsup'
import { sources, workspaceSources } from '../workspace-sources.js'
import clientConfigs from '../../packages/client/tsup.config.js'

// The client's own browser build (one self-contained ES module), from its
// sources, into dist/public: the page at / imports it.
const clientBrowser = (clientConfigs as unknown as Options[]).find((c) => c.platform === 'browser')!

export default defineConfig([
  {
    // An application, not a library: ESM for Node, no declarations. npm
    // dependencies stay external (this package's dependencies).
    entry: { index: 'src/index.ts', main: 'src/main.ts', demo: 'src/demo.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: ['!public/**'],
    target: 'node20',
    platform: 'node',
    splitting: true,
    noExternal: [/^@sealwire\//],
    esbuildPlugins: [workspaceSources],
  },
  {
    ...clientBrowser,
    entry: { 'sealwire-client.min': sources('client/src/index.ts') },
    tsconfig: sources('client/tsconfig.json'),
    outDir: 'dist/public',
    clean: true,
  },
])
