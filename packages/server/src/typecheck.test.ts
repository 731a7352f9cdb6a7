import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

/**
 * CI runs the tests, not `pnpm typecheck`: this runs it. tsconfig.json holds
 * src/__typecheck (handler bodies typed from route schemas, with
 * `@ts-expect-error` on fields a schema lacks); tsconfig.web.json proves the
 * engine and the fetch adapter compile without Node typings.
 */
const run = promisify(execFile)
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

describe('types', () => {
  it.each(['tsconfig.json', 'tsconfig.web.json'])('%s compiles', { timeout: 120_000 }, async (project) => {
    const result = await run(process.execPath, [tsc, '-p', project, '--noEmit'], { cwd: packageDir }).catch((err: { stdout: string }) => err)
    expect(result.stdout).toBe('')
  })
})
