import { accessSync, constants } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'

/** Absolute path of an executable on PATH (or the given absolute path), or undefined. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.startsWith('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Looks for a system program a test needs (redis-server, chromium). Where it is
 * missing: on a developer's machine the suite is skipped with a loud message
 * naming the install command; under CI (`CI=true`) it is an error, so CI can
 * never pass by skipping.
 *
 * @returns the executable's path, or undefined when the suite must skip.
 */
export function requireSystemProgram(name: string, install: string): string | undefined {
  const found = findExecutable(name)
  if (found !== undefined) return found
  const message = `${name} not found: install it with \`${install}\``
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: missing system programs fail the run)`)
  console.warn(`\n⚠️  SKIPPING: ${message}\n`)
  return undefined
}

/** A loopback port nothing listens on at the moment: bound, then released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}
