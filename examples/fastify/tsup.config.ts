import { fileURLToPath } from 'node:url'
import { defineConfig, type Options } from 'tsup'

const sources = (path: string) => fileURLToPath(new URL(`../../packages/${path}`, import.meta.url))

/** `@sealwire/*` from the packages' sources (as the tsconfig paths and vitest aliases do): builds on its own, right after install. */
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
