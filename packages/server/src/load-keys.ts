import type { JwkSet } from '@sealwire/core'

/**
 * Loading the private JWK Set from where deployments keep it: an environment
 * variable (a secret manager's injection, a Worker's `env`) or a file (the one
 * `sealwire keys generate --out` writes). One line at start-up, and an error
 * that names the variable or the path and says how to fix it.
 *
 * The content is never quoted in an error: it is a private key. (V8's own
 * `JSON.parse` message quotes the input, so it is not passed on as a cause.)
 * No `node:` import either: the file is read through
 * `process.getBuiltinModule` (Node ≥ 20.16, Deno, Bun), so this module stays
 * in the runtime-neutral entry.
 */

const GENERATE = 'npx @sealwire/cli keys generate --out server.jwks.json'

interface NodeLikeProcess {
  env?: Record<string, string | undefined>
  cwd?: () => string
  getBuiltinModule?: (id: string) => unknown
}

const nodeProcess = (): NodeLikeProcess | undefined => (globalThis as { process?: NodeLikeProcess }).process

/** Parses a private JWK Set (or an array of private JWKs); `source` names where it came from. */
function parseKeySet(text: string, source: string): JwkSet<unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new TypeError(`${source} is not valid JSON: it must hold the private JWK Set ({ "keys": [...] }) written by \`${GENERATE}\``)
  }
  const keys = Array.isArray(parsed) ? parsed : typeof parsed === 'object' && parsed !== null ? (parsed as { keys?: unknown }).keys : undefined
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError(`${source} holds JSON but no private JWK Set: expected { "keys": [...] } with at least one key, as written by \`${GENERATE}\``)
  }
  if (keys.every((key) => typeof key === 'object' && key !== null && !('d' in key))) {
    throw new TypeError(`${source} holds public keys only: the server needs the PRIVATE set (the file \`${GENERATE}\` wrote, not the output of \`sealwire keys public\`)`)
  }
  return Array.isArray(parsed) ? { keys } : (parsed as JwkSet<unknown>)
}

/**
 * Reads the server's private JWK Set from an environment variable.
 *
 * @param name the variable, e.g. `SEALWIRE_PRIVATE_JWKS`
 * @param env where to look: `process.env` by default; pass a Cloudflare
 *   Worker's `env` (a secret binding) or any record of strings.
 * @throws TypeError naming the variable when it is unset, empty, not JSON, or
 *   not a private JWK Set (the value itself is never quoted).
 *
 * @example
 * import { createSealwireServer, keysFromEnv } from '@sealwire/server'
 *
 * // SEALWIRE_PRIVATE_JWKS="$(cat server.jwks.json)" node server.js
 * const sealwire = createSealwireServer({ keys: keysFromEnv('SEALWIRE_PRIVATE_JWKS') })
 */
export function keysFromEnv(name: string, env: Readonly<Record<string, unknown>> | undefined = nodeProcess()?.env): JwkSet<unknown> {
  if (typeof name !== 'string' || name === '') throw new TypeError('keysFromEnv: the variable name must be a non-empty string')
  if (env === undefined) throw new TypeError(`keysFromEnv('${name}'): this runtime has no global process environment; pass it, e.g. keysFromEnv('${name}', env) in a Worker`)
  const value = env[name]
  if (value === undefined || value === '') {
    throw new TypeError(
      `The environment variable ${name} is not set: it must hold the server's private JWK Set. ` +
        `Create one with \`${GENERATE}\` and pass it as ${name}="$(cat server.jwks.json)" (or from your secret manager).`,
    )
  }
  if (typeof value !== 'string') throw new TypeError(`The environment variable ${name} is not a string`)
  return parseKeySet(value, `The environment variable ${name}`)
}

/**
 * Reads the server's private JWK Set from a file, synchronously (at start-up),
 * e.g. the one `sealwire keys generate --out server.jwks.json` wrote.
 * Node ≥ 20.19, Deno and Bun; on Workers there is no file system, use
 * `keysFromEnv(name, env)`.
 *
 * @param path the file; a relative path is read from the working directory.
 * @throws TypeError naming the path when it cannot be read, is not JSON, or is
 *   not a private JWK Set (the content is never quoted).
 *
 * @example
 * import { createSealwireServer, keysFromFile } from '@sealwire/server'
 *
 * const sealwire = createSealwireServer({ keys: keysFromFile('server.jwks.json') })
 */
export function keysFromFile(path: string): JwkSet<unknown> {
  if (typeof path !== 'string' || path === '') throw new TypeError('keysFromFile: the path must be a non-empty string')
  const proc = nodeProcess()
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync(path: string, encoding: 'utf8'): string } | undefined
  if (fs === undefined) throw new TypeError(`keysFromFile('${path}'): this runtime has no file system access; use keysFromEnv(name, env)`)
  const where = path.startsWith('/') || proc?.cwd === undefined ? path : `${path} (in ${proc.cwd()})`
  let text: string
  try {
    text = fs.readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    const reason = code === 'ENOENT' ? `it does not exist: create it with \`${GENERATE}\`` : code === 'EACCES' ? 'permission denied: the server process must be able to read it' : `${typeof code === 'string' ? code : 'unreadable'}`
    throw new TypeError(`Cannot read the private key file ${where}: ${reason}`)
  }
  return parseKeySet(text, `The private key file ${where}`)
}
