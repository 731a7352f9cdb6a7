import { randomUUID } from 'node:crypto'
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair } from '@sealwire/server'

/** A private JWK Set, as `SEALWIRE_PRIVATE_JWKS` holds it and `createSealwireServer({ keys })` takes it. */
export interface PrivateJwkSet {
  keys: Record<string, unknown>[]
}

/** Where the keys came from, for the start-up banner. */
export type KeySource = { from: 'env' } | { from: 'file'; path: string; created: boolean }

export interface LoadedKeys {
  jwks: PrivateJwkSet
  source: KeySource
}

export interface LoadKeysOptions {
  /** The environment to read `SEALWIRE_PRIVATE_JWKS` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** The file that persists generated keys (private: mode 0600, in a git-ignored `.sealwire/`). */
  file: string
}

/** One P-256 key (every client can use it) and one X25519 key (preferred by clients that have it). */
export async function generateKeySet(): Promise<PrivateJwkSet> {
  const [p256, x25519] = await Promise.all([generateKeyPair('P-256'), generateKeyPair('X25519')])
  return { keys: [p256.privateJwk as unknown as Record<string, unknown>, x25519.privateJwk as unknown as Record<string, unknown>] }
}

function parseKeySet(text: string, where: string): PrivateJwkSet {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Never echo the text: it is a private key.
    throw new TypeError(`${where} is not JSON: expected a private JWK Set {"keys":[...]}`)
  }
  const keys = (value as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null)) {
    throw new TypeError(`${where} is not a private JWK Set: expected {"keys":[...]} with at least one key`)
  }
  return { keys: keys as Record<string, unknown>[] }
}

/**
 * The server's private keys: `SEALWIRE_PRIVATE_JWKS` when set (how a deployment
 * passes them, from its secret store), otherwise the keys persisted in `file`,
 * generated on the first run. Persisting matters to clients: a key that
 * changed at every restart would make every cached JWK Set stale (each client
 * then pays an `unknown_key` round trip).
 *
 * The file is created with mode 0600 in a directory of mode 0700.
 * The keys are validated by the server (`createSealwireServer`), not here.
 */
export async function loadKeys(options: LoadKeysOptions): Promise<LoadedKeys> {
  const fromEnv = (options.env ?? process.env).SEALWIRE_PRIVATE_JWKS
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { jwks: parseKeySet(fromEnv, 'SEALWIRE_PRIVATE_JWKS'), source: { from: 'env' } }

  const path = options.file
  try {
    return { jwks: await readKeyFile(path), source: { from: 'file', path, created: false } }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const jwks = await generateKeySet()
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // Written whole under a private temporary name, then linked into place: link()
  // fails if the name exists, so two servers starting at once cannot both
  // create it, and neither ever reads a half-written file. The loser uses the
  // winner's keys, so both advertise the same set.
  const temporary = `${path}.${randomUUID()}.tmp`
  await writeFile(temporary, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  try {
    await link(temporary, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { jwks: await readKeyFile(path), source: { from: 'file', path, created: false } }
    throw err
  } finally {
    await unlink(temporary)
  }
  return { jwks, source: { from: 'file', path, created: true } }
}

async function readKeyFile(path: string): Promise<PrivateJwkSet> {
  const text = await readFile(path, 'utf8')
  // A key file others can read is a leaked key waiting to happen (umask, a copy):
  // tighten it rather than refuse, and say so.
  const mode = (await stat(path)).mode & 0o777
  if ((mode & 0o077) !== 0) {
    await chmod(path, 0o600)
    console.warn(`warning: ${path} was readable by others (mode ${mode.toString(8)}); changed to 600`)
  }
  return parseKeySet(text, path)
}
