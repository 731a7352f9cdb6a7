import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, toPublicJwk } from '@sealwire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSealwireServer } from './create-server.js'
import { keysFromEnv, keysFromFile } from './load-keys.js'

let dir: string
let privateSet: { keys: unknown[] }
let secret: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealwire-load-keys-'))
  const { privateJwk } = await generateKeyPair('P-256')
  privateSet = { keys: [privateJwk] }
  secret = (privateJwk as { d: string }).d
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const messageOf = (f: () => unknown): string => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return (error as Error).message
  }
  throw new Error('did not throw')
}

describe('keysFromEnv', () => {
  it('reads a private JWK Set that createSealwireServer takes', async () => {
    const keys = keysFromEnv('SEALWIRE_PRIVATE_JWKS', { SEALWIRE_PRIVATE_JWKS: JSON.stringify(privateSet) })
    expect(keys).toEqual(privateSet)
    await expect(createSealwireServer({ keys }).ready).resolves.toBeUndefined()
  })

  it('reads process.env by default', () => {
    process.env.SEALWIRE_TEST_LOAD_KEYS = JSON.stringify(privateSet)
    try {
      expect(keysFromEnv('SEALWIRE_TEST_LOAD_KEYS')).toEqual(privateSet)
    } finally {
      delete process.env.SEALWIRE_TEST_LOAD_KEYS
    }
  })

  it('names the variable and the fix when it is unset (not `"undefined" is not valid JSON`)', () => {
    const message = messageOf(() => keysFromEnv('SEALWIRE_PRIVATE_JWKS', {}))
    expect(message).toMatch(/^The environment variable SEALWIRE_PRIVATE_JWKS is not set/)
    expect(message).toContain('npx @sealwire/cli keys generate --out server.jwks.json')
    expect(message).toContain('SEALWIRE_PRIVATE_JWKS="$(cat server.jwks.json)"')
  })

  it('names the variable on bad JSON, without quoting the secret', () => {
    const value = `${JSON.stringify(privateSet)}x`
    const message = messageOf(() => keysFromEnv('MY_KEYS', { MY_KEYS: value }))
    expect(message).toMatch(/^The environment variable MY_KEYS is not valid JSON/)
    expect(message).not.toContain(secret)
  })

  it('refuses a public-only set, saying which set the server needs', async () => {
    const publicSet = { keys: [toPublicJwk(privateSet.keys[0] as never)] }
    expect(messageOf(() => keysFromEnv('K', { K: JSON.stringify(publicSet) }))).toMatch(/^The environment variable K holds public keys only: the server needs the PRIVATE set/)
    expect(messageOf(() => keysFromEnv('K', { K: '{"keys":[]}' }))).toMatch(/^The environment variable K holds JSON but no private JWK Set/)
  })
})

describe('keysFromFile', () => {
  it('reads the file `sealwire keys generate --out` writes', () => {
    const file = join(dir, 'server.jwks.json')
    writeFileSync(file, JSON.stringify(privateSet, null, 2))
    expect(keysFromFile(file)).toEqual(privateSet)
  })

  it('names the path (and the working directory for a relative one) when it is missing', () => {
    expect(messageOf(() => keysFromFile(join(dir, 'missing.json')))).toBe(
      `Cannot read the private key file ${join(dir, 'missing.json')}: it does not exist: create it with \`npx @sealwire/cli keys generate --out server.jwks.json\``,
    )
    expect(messageOf(() => keysFromFile('no-such-dir/keys.json'))).toContain(`no-such-dir/keys.json (in ${process.cwd()})`)
  })

  it('names the path on bad JSON, without quoting the content', () => {
    const file = join(dir, 'broken.json')
    writeFileSync(file, JSON.stringify(privateSet).slice(0, -5))
    const message = messageOf(() => keysFromFile(file))
    expect(message).toBe(`The private key file ${file} is not valid JSON: it must hold the private JWK Set ({ "keys": [...] }) written by \`npx @sealwire/cli keys generate --out server.jwks.json\``)
    expect(message).not.toContain(secret)
  })
})
