import { fileURLToPath } from 'node:url'
import type { Options } from 'tsup'

/** A path inside packages/ (for build configs). */
export const sources = (path: string): string => fileURLToPath(new URL(`../packages/${path}`, import.meta.url))

/**
 * esbuild plugin for the examples' tsup configs: `@sealwire/<pkg>` and
 * `@sealwire/<pkg>/<subpath>` resolve to the packages' sources, the same
 * mapping as the tsconfig paths and the vitest aliases; core's `#platform` by
 * the build's platform. An example then builds
 * on its own, in a second, right after install: the demo never waits for (or
 * races with) a build of packages/*. In your own app these are plain npm imports.
 */
export const workspaceSources: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'sealwire-workspace-sources',
  setup(build) {
    // Core's `#platform` as an installed package resolves it: the `node` condition gets the
    // Node-native backend, every other platform the portable one. (The tsconfig paths map it to
    // the portable source for the type checker; a Node build must not measure or run that.)
    const platform = build.initialOptions.platform === 'node' ? 'core/src/node/platform.ts' : 'core/src/platform/portable.ts'
    build.onResolve({ filter: /^#platform$/ }, () => ({ path: sources(platform) }))
    build.onResolve({ filter: /^@sealwire\/(core|server|client|redis|dynamodb|cloudflare)(\/[\w-]+)?$/ }, (args) => {
      const [, pkg, sub] = /^@sealwire\/(\w+)(?:\/([\w-]+))?$/.exec(args.path)!
      if (sub === undefined) return { path: sources(`${pkg}/src/index.ts`) }
      // Subpaths by package layout: server's adapters, core's entry directories (`/node`), client's modules (`/noble`).
      const path = pkg === 'server' ? `server/src/adapters/${sub}.ts` : pkg === 'core' ? `core/src/${sub}/index.ts` : `${pkg}/src/${sub}.ts`
      return { path: sources(path) }
    })
  },
}
