import { importPrivateJwk, importPublicJwk, joseBackend, toPublicJwk, type PrivateJwk, type PublicJwk } from '@sealwire/core'
import { CliError } from './errors.js'

/**
 * The members of a JWK Set text: `{"keys":[…]}`, a bare array, or one JWK.
 * Structural problems are `invalid_keys` naming the source, never echoing key material.
 */
export function parseKeySet(text: string, source: string): unknown[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CliError('invalid_keys', `${source} is not JSON`, { hint: 'expected a JWK Set: {"keys":[…]}' })
  }
  const keys = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.keys) ? json.keys : isObject(json) && 'kty' in json ? [json] : undefined
  if (keys === undefined) throw new CliError('invalid_keys', `${source} is not a JWK Set`, { hint: 'expected {"keys":[…]}' })
  if (keys.length === 0) throw new CliError('invalid_keys', `${source} holds no keys`)
  return keys
}

/** Every key of a private set, validated by core (`kid` = RFC 7638 thumbprint). */
export async function importPrivateKeys(keys: readonly unknown[], source: string): Promise<PrivateJwk[]> {
  const out: PrivateJwk[] = []
  for (const [i, key] of keys.entries()) {
    if (!isObject(key) || !('d' in key)) {
      throw new CliError('invalid_keys', `${source}: keys[${i}] is a public key, a private key is needed here`, {
        hint: 'pass the private set made by `sealwire keys generate`',
      })
    }
    out.push(await wrap(() => importPrivate(key), source, i))
  }
  return out
}

/**
 * Core's schema checks the members; importing into the crypto backend (as a
 * KeyRing does) checks the pair: a `d` pasted beside another key's `x`/`y`
 * would otherwise publish a public key the server cannot decrypt for.
 */
async function importPrivate(key: unknown): Promise<PrivateJwk> {
  const jwk = await importPrivateJwk(key)
  try {
    await joseBackend.importPrivateKey(jwk)
  } catch (cause) {
    throw new Error('private JWK does not import: its d does not belong to its public part (x, y), or the point is off the curve', { cause })
  }
  return jwk
}

/**
 * The public half of every key of a set, private or public. A private key is
 * imported as one (so a `d` that is not 32 bytes, or not this key's, is
 * refused, not silently dropped), then stripped to its public members.
 */
export async function importPublicKeys(keys: readonly unknown[], source: string): Promise<PublicJwk[]> {
  const out: PublicJwk[] = []
  for (const [i, key] of keys.entries()) {
    out.push(await wrap(async () => (isObject(key) && 'd' in key ? toPublicJwk(await importPrivate(key)) : importPublic(key)), source, i))
  }
  return out
}

/** The same for a public key: WebCrypto refuses a P-256 point that is not on the curve. */
async function importPublic(key: unknown): Promise<PublicJwk> {
  const jwk = await importPublicJwk(key)
  try {
    await joseBackend.importPublicKey(jwk)
  } catch (cause) {
    throw new Error('public JWK does not import: the point is off the curve', { cause })
  }
  return jwk
}

async function wrap<T>(f: () => Promise<T>, source: string, index: number): Promise<T> {
  try {
    return await f()
  } catch (error) {
    // Core's TypeError messages name members and rules, never values.
    const message = error instanceof Error ? error.message : String(error)
    throw new CliError('invalid_keys', `${source}: keys[${index}]: ${message}`, { cause: error })
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
