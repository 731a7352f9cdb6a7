/**
 * The packed packages' typings as a TypeScript project sees them, under each
 * module resolution a project can have: `node10` (the default of
 * `module: commonjs`, NestJS's), `nodenext` and `bundler`. A fresh app outside
 * the workspace installs the tarballs with npm and imports every subpath
 * export, and the Redis README's ioredis snippet as the packed README shows
 * it, with `skipLibCheck` off: our `.d.ts` files are checked too (errors in
 * other packages' typings are left to them).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshAppDir, npmInstall, packTarballs, runNode } from '../helpers/packed-app.js'
import { tsBlocks } from '../helpers/readme-snippets.js'

/** One import of each subpath export that has types (`@sealwire/client/browser/*` is a script for a <script> tag). */
const CONSUMER = `import { KeyRing, SealwireError, type RequestClaims } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'
import { createClient } from '@sealwire/client'
import { nobleBackend } from '@sealwire/client/noble'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireKoa } from '@sealwire/server/koa'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
import { withSealwire } from '@sealwire/server/fetch'
import { sealwireLambda } from '@sealwire/server/lambda'
import { RedisReplayStore } from '@sealwire/redis'
import { VERSION } from '@sealwire/cli'

export const used = [KeyRing, SealwireError, nodeBackend, createClient, nobleBackend, createSealwireServer, sealwireExpress, sealwireKoa, sealwireFastify, sealwireRoute, withSealwire, sealwireLambda, RedisReplayStore, VERSION]
export type Used = RequestClaims | SealwireServer
declare const sealwire: SealwireServer
export const middleware: (req: unknown, res: unknown, next: () => void) => unknown = sealwireExpress(sealwire) as never
`

/** Each resolution, as a project sets it (esModuleInterop: how Express's and Koa's CommonJS typings are imported). */
const PROJECTS: Record<string, Record<string, unknown>> = {
  node10: { module: 'commonjs', moduleResolution: 'node10' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'preserve', moduleResolution: 'bundler' },
}

let workDir: string
let app: string

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'sealwire-consumer-types-packs-'))
  const tarballs = await packTarballs(workDir)
  app = freshAppDir('sealwire-consumer-types-')
  await npmInstall(app, [
    ...Object.values(tarballs),
    'typescript@~5.9',
    '@types/node@^20.19',
    'express@^5',
    '@types/express@^5',
    'koa@^3',
    '@types/koa@^3',
    'fastify@^5',
    'redis@^5',
    'ioredis@^5',
  ])
  writeFileSync(join(app, 'consumer.ts'), CONSUMER)
  // The Redis README's ioredis adapter, as the packed README shows it.
  const readme = readFileSync(join(app, 'node_modules', '@sealwire', 'redis', 'README.md'), 'utf8')
  const snippet = tsBlocks(readme).find(({ code }) => code.includes("from 'ioredis'"))
  if (snippet === undefined) throw new Error('the packed @sealwire/redis README has no ioredis snippet')
  writeFileSync(join(app, 'ioredis-snippet.ts'), `${snippet.code}\nexport { replayStore }\n`)
}, 900_000)

afterAll(() => {
  for (const dir of [workDir, app]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('the packed typings in a TypeScript project', () => {
  it.each(Object.keys(PROJECTS))('type-check with moduleResolution %s', { timeout: 300_000 }, async (name) => {
    const tsconfig = `tsconfig.${name}.json`
    writeFileSync(
      join(app, tsconfig),
      JSON.stringify({
        compilerOptions: { ...PROJECTS[name], target: 'es2022', lib: ['es2023', 'dom'], types: ['node'], strict: true, esModuleInterop: true, skipLibCheck: false, noEmit: true },
        files: ['consumer.ts', 'ioredis-snippet.ts'],
      }),
    )
    const result = await runNode(app, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig])
    // Errors inside other packages' typings are theirs (@types/koa 3 against content-disposition 1's own types).
    const ours = (result.stdout + result.stderr).split('\n').filter((line) => /error TS/.test(line) && !/^node_modules\/(?!@sealwire\/)/.test(line))
    expect(ours).toEqual([])
  })
})
