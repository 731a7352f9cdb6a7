import { fileURLToPath } from 'node:url'
import { defineConfig, type Options } from 'tsup'
import clientConfigs from '../../packages/client/tsup.config.js'

const sources = (path: string) => fileURLToPath(new URL(`../../packages/${path}`, import.meta.url))

/**
 * `@sealwire/<pkg>` and `@sealwire/server/<adapter>` resolve to the packages'
 * sources, the same mapping as the tsconfig paths and the vitest aliases. The
 * example then builds on its own, in a second, right after install: the demo
 * never waits for (or races with) a build of packages/*.
 */
const workspaceSources: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'sealwire-workspace-sources',
  setup(build) {
    build.onResolve({ filter: /^@sealwire\/(core|server|client)(\/[\w-]+)?$/ }, (args) => {
      const [, pkg, sub] = /^@sealwire\/(\w+)(?:\/([\w-]+))?$/.exec(args.path)!
      if (sub === undefined) return { path: sources(`${pkg}/src/index.ts`) }
      return { path: sources(pkg === 'server' ? `server/src/adapters/${sub}.ts` : `${pkg}/src/${sub}.ts`) }
    })
  },
}

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
