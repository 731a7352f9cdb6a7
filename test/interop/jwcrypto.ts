/**
 * python-jwcrypto (Debian's python3-jwcrypto, run with the system interpreter)
 * driven through jwcrypto-seal.py: the interop tests' independent JOSE library.
 */
import { execFileSync } from 'node:child_process'

const PYTHON = '/usr/bin/python3'
const SCRIPT = new URL('./jwcrypto-seal.py', import.meta.url).pathname

/** Whether python3-jwcrypto can run here; under CI its absence fails the run (.ci/run installs it). */
export function jwcryptoAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import jwcrypto'], { stdio: 'ignore' })
    return true
  } catch {
    const message = 'python3-jwcrypto not found: install it with `apt-get install -y python3-jwcrypto`'
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true: missing system programs fail the run)`)
    console.warn(`\n⚠️  SKIPPING: ${message}\n`)
    return false
  }
}

/** Runs jwcrypto-seal.py with `input` as its JSON stdin (see the script for the two shapes); returns its stdout. */
export const jwcrypto = (input: unknown): string => execFileSync(PYTHON, [SCRIPT], { input: JSON.stringify(input), encoding: 'utf8' })
