/**
 * The packages as they would be published: each packed with `pnpm pack`, then
 * - linted as tarballs: publint --strict, and are-the-types-wrong for node10,
 *   node16 (from CJS and from ESM; TypeScript's nodenext resolves the same way)
 *   and bundler resolution;
 * - read as a registry page shows them: LICENSE, a README with absolute links
 *   only, repository / homepage / bugs / keywords, no workspace specifier
 *   anywhere, no source map pointing at files that are not shipped;
 * - installed with npm into a fresh app outside the workspace, where a real
 *   HTTPS round trip runs: keys from the installed CLI, an Express server on
 *   TLS, the client pinned to the public keys (ESM server, CommonJS client).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ERROR_CODES } from '@sealwire/core'
import { CLI_ERROR_CODES } from '@sealwire/cli'
import { publint } from 'publint'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshAppDir, npmInstall, packTarballs, resolvedFrom, runNode, selfSignedCertificate, startNode, type Child } from '../helpers/packed-app.js'
import { requireSystemProgram } from '../helpers/system.js'
import { REPO_ROOT } from '../helpers/vectors.js'

const run = promisify(execFile)

/**
 * What points into the monorepo or its history from text a package ships: an
 * issue or review reference, a path under test/ or scripts/, a test file, the
 * root README. Inside absolute links (https://…) these are fine.
 */
const INTERNAL_REFERENCES = [/\bissue \d/i, /\(issue\b/i, /\breview\b/i, /(^|[^\w./-])(test|scripts)\//, /\.test\.ts\b/, /\broot README\b/i]
const REPOSITORY = 'https://github.com/sealwire/sealwire'
const NAMES = ['@sealwire/core', '@sealwire/client', '@sealwire/server', '@sealwire/redis', '@sealwire/dynamodb', '@sealwire/cloudflare', '@sealwire/cli']

let workDir: string
let tarballs: Record<string, string>
/** Each tarball unpacked: `<workDir>/unpacked/<name>/package/...`. */
const unpacked = (name: string) => join(workDir, 'unpacked', name, 'package')

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'sealwire-tarballs-'))
  tarballs = await packTarballs(workDir)
  for (const name of NAMES) {
    mkdirSync(join(workDir, 'unpacked', name), { recursive: true })
    await run('tar', ['xzf', tarballs[name]!, '-C', join(workDir, 'unpacked', name)])
  }
}, 600_000)

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

describe.each(NAMES)('%s, packed', (name) => {
  it('is clean under publint --strict', async () => {
    const tarball = readFileSync(tarballs[name]!)
    const { messages } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, strict: true })
    expect(messages).toEqual([])
  })

  it('has types right for node10, node16 (CJS and ESM), nodenext and bundler resolution (are-the-types-wrong)', async () => {
    const attw = join(REPO_ROOT, 'test', 'node_modules', '.bin', 'attw')
    // attw exits 1 on a problem, with the same JSON on stdout. Its default profile
    // includes node10 (`module: commonjs` projects): typesVersions maps the subpaths there.
    const { stdout } = await run(attw, ['--format', 'json', tarballs[name]!], { maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout: string }) => error)
    const { analysis } = JSON.parse(stdout) as { analysis: { problems: Array<{ kind: string; entrypoint?: string; resolutionKind?: string }> } }
    expect(analysis.problems).toEqual([])
  })

  it('stands alone on a registry page: LICENSE, README with absolute links, repository, homepage, bugs, keywords', () => {
    const dir = unpacked(name)
    const files = filesUnder(dir)
    expect(files).toContain('LICENSE')
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/)
    expect(files).toContain('README.md')
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    expect(readme).toMatch(new RegExp(`^# ${name.replace('/', '\\/')}\\n`))
    // Markdown links and images: absolute (https://…) or in-page anchors; a relative link is a 404 on the registry page.
    const links = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1]!)
    expect(links.filter((href) => !/^(https:\/\/|#)/.test(href))).toEqual([])
    expect(readme).not.toMatch(/pnpm (serve:example|demo)\b|test\/[a-z-]+\/\*\.test\.ts/)
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest).toMatchObject({
      license: 'MIT',
      repository: { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${name.slice('@sealwire/'.length)}` },
      homepage: expect.stringMatching(new RegExp(`^${REPOSITORY}/`)),
      bugs: { url: `${REPOSITORY}/issues` },
    })
    expect((manifest.keywords as string[]).length).toBeGreaterThan(2)
  })

  it('points nowhere outside the package: no internal references in its README or typings, links that resolve, codes that exist', () => {
    const dir = unpacked(name)
    const files = filesUnder(dir)
    const texts = files.filter((file) => file === 'README.md' || /\.d\.c?ts$/.test(file))
    expect(texts.filter((file) => file !== 'README.md').length).toBeGreaterThan(0)
    const found = texts.flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${file}:${i + 1}`, line, bare: line.replace(/https:\/\/[^\s)]+/g, '') }))
        .filter(({ bare }) => INTERNAL_REFERENCES.some((pattern) => pattern.test(bare)))
        .map(({ where, line }) => `${where}: ${line.trim()}`),
    )
    expect(found).toEqual([])
    // Links in the typings' doc comments (markdown or {@link}) must be absolute too: an editor opens them from node_modules.
    const typingLinks = texts
      .filter((file) => file !== 'README.md')
      .flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(/\]\(([^)\s]+)\)|\{@link\s+([^}\s|]+)/g)].map((m) => `${file}: ${m[1] ?? m[2]}`))
    expect(typingLinks.filter((link) => /: [.\w-]*\//.test(link) && !/: https:\/\//.test(link))).toEqual([])
    // Every snake_case code a README names in backticks is one a Sealwire package can answer with.
    const codes = new Set<string>([...ERROR_CODES, ...CLI_ERROR_CODES, 'redis_unreachable', 'redis_evicts_keys'])
    const named = [...readFileSync(join(dir, 'README.md'), 'utf8').matchAll(/`([a-z0-9]+(?:_[a-z0-9]+)+)`/g)].map((m) => m[1]!)
    expect(named.filter((code) => !codes.has(code))).toEqual([])
  })

  it('ships no workspace specifier and no source map to unshipped files', () => {
    const dir = unpacked(name)
    const files = filesUnder(dir)
    const withWorkspace = files.filter((file) => readFileSync(join(dir, file), 'utf8').includes('workspace:'))
    expect(withWorkspace).toEqual([])
    // A map's `sources` must be files in the tarball (or inlined as sourcesContent); none at all is fine.
    const dangling = files
      .filter((file) => file.endsWith('.map'))
      .flatMap((file) => {
        const map = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] }
        const base = file.slice(0, file.lastIndexOf('/') + 1)
        return map.sources.filter((source) => !files.includes(join(base, source)) || source.includes('node_modules')).map((source) => `${file}: ${source}`)
      })
    expect(dangling).toEqual([])
    expect(files.filter((file) => /(^|\/)(src|test)\//.test(file))).toEqual([])
  })
})

describe('installed with npm into a fresh app outside the workspace', () => {
  let app: string
  let server: Child | undefined
  const openssl = requireSystemProgram('openssl', 'apt-get install -y openssl')

  beforeAll(async () => {
    app = freshAppDir('sealwire-fresh-app-')
    await npmInstall(app, [...NAMES.map((name) => tarballs[name]!), 'express'])
  }, 600_000)

  afterAll(() => {
    server?.stop()
    if (app !== undefined) rmSync(app, { recursive: true, force: true })
  })

  it('took every @sealwire package from its tarball, none from a registry', () => {
    const from = resolvedFrom(app)
    expect(Object.keys(from).sort()).toEqual([...NAMES].sort())
    for (const name of NAMES) expect(from[name], name).toMatch(/^file:.*\.tgz$/)
  })

  it("runs @sealwire/core's README example as written", async () => {
    const readme = readFileSync(join(unpacked('@sealwire/core'), 'README.md'), 'utf8')
    const example = /## A round trip\n+```ts\n([\s\S]+?)```/.exec(readme)![1]!
    // Its expressions-as-comments (`opened.body // {…}`) become assertions.
    const checked = example.replace(/^(.+?) \/\/ (\{.*\})$/gm, (_, expression: string, expected: string) => {
      return `{ const actual = ${expression}; const expected = (${expected}); if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error('got ' + JSON.stringify(actual)) }`
    })
    expect(checked.match(/const actual =/g)?.length).toBe(2)
    writeFileSync(join(app, 'core-readme.mjs'), `${checked}\nconsole.log('core round trip ok')\n`)
    const result = await runNode(app, ['core-readme.mjs'])
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('core round trip ok\n')
  })

  it.skipIf(openssl === undefined)('does a sealed HTTPS round trip: CLI keys, Express on TLS, a pinned CommonJS client', async () => {
    const cli = join(app, 'node_modules', '.bin', 'sealwire')
    await run(cli, ['keys', 'generate', '--out', 'server.jwks.json'], { cwd: app })
    const { stdout: publicSet } = await run(cli, ['keys', 'public', 'server.jwks.json'], { cwd: app })
    writeFileSync(join(app, 'server.public.json'), publicSet)
    await selfSignedCertificate(app)
    writeFileSync(
      join(app, 'server.mjs'),
      `import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import express from 'express'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'

const sealwire = createSealwireServer({ keys: JSON.parse(readFileSync('server.jwks.json', 'utf8')) })
await sealwire.ready
const app = express()
app.use(sealwireExpress(sealwire))
app.post('/api/echo', (req, res) => res.json({ got: req.body, claims: Object.keys(req.sealwire ?? {}).length > 0 }))
const server = createServer({ key: readFileSync('key.pem'), cert: readFileSync('cert.pem') }, app)
server.listen(0, '127.0.0.1', () => console.log('listening on https://127.0.0.1:' + server.address().port))
`,
    )
    writeFileSync(
      join(app, 'client.cjs'),
      `const { createClient } = require('@sealwire/client')
const keys = require('./server.public.json')
const api = createClient({ baseUrl: process.argv[2], keys })
api.post('/api/echo', { hello: 'from a tarball' }).then((answer) => console.log(JSON.stringify(answer)))
`,
    )
    server = startNode(app, ['server.mjs'])
    const [, origin] = await server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/)
    const result = await runNode(app, ['client.cjs', origin!], { NODE_EXTRA_CA_CERTS: join(app, 'cert.pem') })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ got: { hello: 'from a tarball' }, claims: true })
  })
})
