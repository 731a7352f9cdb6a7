import { fileURLToPath } from 'node:url'

/** A file of this repository's packages/ (the example builds against the sources, as the others do). */
const sources = (path) => fileURLToPath(new URL(`../../packages/${path}`, import.meta.url))

/**
 * Next.js configuration of the example. Only the webpack part is about this
 * repository: `@sealwire/*` resolve to the packages' sources, so the example
 * builds right after install. In your own app they are plain npm imports and
 * this file needs none of it.
 *
 * @type {import('next').NextConfig}
 */
const config = {
  // No telemetry, no ESLint run at build (the repository type-checks and lints on its own).
  eslint: { ignoreDuringBuilds: true },
  poweredByHeader: false,
  experimental: { externalDir: true },
  webpack(webpackConfig) {
    webpackConfig.resolve.alias = {
      ...webpackConfig.resolve.alias,
      '@sealwire/server/fetch$': sources('server/src/adapters/fetch.ts'),
      '@sealwire/server$': sources('server/src/index.ts'),
      '@sealwire/core$': sources('core/src/index.ts'),
      // The stream records' entry (docs/PROTOCOL.md §12), which the server's stream code imports.
      '@sealwire/core/stream$': sources('core/src/stream/index.ts'),
      // Core's `#platform` as Node resolves it for the installed package: the Node-native backend.
      '#platform$': sources('core/src/node/platform.ts'),
    }
    // The sources import each other as `./x.js` (TypeScript's NodeNext style).
    webpackConfig.resolve.extensionAlias = { ...webpackConfig.resolve.extensionAlias, '.js': ['.ts', '.js'] }
    return webpackConfig
  },
}

export default config
