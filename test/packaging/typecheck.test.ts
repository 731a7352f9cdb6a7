import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { writeReadmeSnippets } from '../helpers/readme-snippets.js'

/**
 * CI runs the tests, not `pnpm typecheck`: this runs the type checker on every
 * project, so a type regression fails CI like any other. Each package's own
 * tsconfig (no Node typings where the code must run anywhere; server's
 * tsconfig.web.json proves the engine and the fetch adapter compile without
 * them, and its src/__typecheck holds `@ts-expect-error` type tests), each
 * example, every test file (test/tsconfig.json), and the READMEs' TypeScript
 * snippets (test/helpers/readme-snippets.ts writes them to test/.readme-snippets),
 * and test/typings: a user app on Express 4, Koa 2 and Fastify 4 with our
 * adapters, against those majors' typings (the peer ranges accept them).
 */
const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

const projects = [
  'test/tsconfig.json',
  'test/typings/tsconfig.json',
  writeReadmeSnippets(root, join(root, 'test/.readme-snippets')).slice(root.length),
  ...['packages', 'examples'].flatMap((group) =>
    readdirSync(join(root, group))
      .flatMap((dir) => ['tsconfig.json', 'tsconfig.web.json'].map((file) => `${group}/${dir}/${file}`))
      .filter((path) => existsSync(join(root, path))),
  ),
]

describe('types', () => {
  // test/ alone takes 2.5 min of checking on a loaded 2-core machine; 180 s timed out beside the adapter suites.
  it.each(projects)('%s compiles', { timeout: 300_000 }, async (project) => {
    const result = await run(process.execPath, [tsc, '-p', project, '--noEmit'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch((err: { stdout: string }) => err)
    expect(result.stdout).toBe('')
  })

  // The previous-majors project proves nothing if its `paths` stopped reaching the
  // aliased typings and tsc fell back to the current ones: check what it loaded.
  it('test/typings compiles against Express 4, Koa 2 and Fastify 4 typings only', { timeout: 180_000 }, async () => {
    const { stdout } = await run(process.execPath, [tsc, '-p', 'test/typings/tsconfig.json', '--listFilesOnly'], { cwd: root, maxBuffer: 16 * 1024 * 1024 })
    const versions = new Set(stdout.match(/(?:@types\+express|@types\+koa|fastify)@\d+/g))
    expect([...versions].sort()).toEqual(['@types+express@4', '@types+koa@2', 'fastify@4'])
  })
})
