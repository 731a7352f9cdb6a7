/**
 * How the runtime tests start Bun and Deno: the binaries the npm packages put
 * in place (their install scripts are allowed in pnpm-workspace.yaml), and the
 * limits every child runtime runs under.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A binary of test/node_modules/.bin: `bun`, `deno`. */
export const bin = (name: string) => join(fileURLToPath(new URL('../node_modules/.bin', import.meta.url)), name)
/** Generous: two cores shared with other test files; a runtime's cold start and a key generation take seconds there. */
export const RUN_TIMEOUT = 90_000
/** A child runtime that outlives its timeout is killed outright, not asked to stop. */
export const runOptions = { timeout: RUN_TIMEOUT, killSignal: 'SIGKILL' as const, maxBuffer: 1024 * 1024 }
/** Deno without its update check and colours, so its output is the program's. */
/** The JSON result a runtime's script prints as its last line of stdout. */
export const resultLine = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T

export const denoEnv = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }
