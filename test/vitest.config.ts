import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = (pkg: string, entry = 'index.ts') => fileURLToPath(new URL(`../packages/${pkg}/src/${entry}`, import.meta.url))

/**
 * One config for every test: unit tests beside the code (packages/*\/src), and
 * cross-package integration tests in test/. Packages resolve to their sources,
 * so no build is needed before testing (tRPC's layout); the dual-package test
 * builds and loads dist on purpose.
 */
export default defineConfig({
  root,
  resolve: {
    // Order matters: subpaths before package roots.
    alias: [
      { find: /^@sealwire\/server\/(.+)$/, replacement: src('server', 'adapters/$1.ts') },
      { find: /^@sealwire\/client\/(.+)$/, replacement: src('client', '$1.ts') },
      { find: /^@sealwire\/(core|server|client|redis|cli)$/, replacement: src('$1') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
})
