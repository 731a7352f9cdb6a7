import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = (pkg: string, entry = 'index.ts') => fileURLToPath(new URL(`../packages/${pkg}/src/${entry}`, import.meta.url))

/**
 * One config for every test, in two projects: unit tests beside the code
 * (packages/*\/src), and cross-package integration tests in test/ (adapters,
 * examples, vectors, packaging, Redis, Chromium). Packages resolve to their sources,
 * so no build is needed before testing (tRPC's layout); the dual-package test
 * builds and loads dist on purpose.
 */
export default defineConfig({
  root,
  resolve: {
    // Order matters: subpaths before package roots.
    alias: [
      // Core's `#platform` import map, as Node resolves it (the `node` condition).
      { find: /^#platform$/, replacement: src('core', 'node/platform.ts') },
      { find: /^@sealwire\/core\/node$/, replacement: src('core', 'node/index.ts') },
      { find: /^@sealwire\/core\/stream$/, replacement: src('core', 'stream/index.ts') },
      { find: /^@sealwire\/server\/(.+)$/, replacement: src('server', 'adapters/$1.ts') },
      { find: /^@sealwire\/client\/(.+)$/, replacement: src('client', '$1.ts') },
      { find: /^@sealwire\/(core|server|client|redis|dynamodb|cloudflare|cli)$/, replacement: src('$1') },
    ],
  },
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // One project per kind of test, so a slice runs alone: `--project unit` in
    // seconds while editing, `--project integration` for what needs real
    // servers, Redis, Chromium or a build.
    // The soak measures latency (the guard's p99 check): it runs in a group of
    // its own after the others, so no other test file competes for the 2 cores.
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts', 'examples/*/**/*.test.ts'], exclude: ['test/soak/**', '**/node_modules/**', '**/dist/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'soak', include: ['test/soak/**/*.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
})
