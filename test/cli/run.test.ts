import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  KeyRing,
  MemoryReplayStore,
  decodeProtectedHeader,
  generateKeyPair,
  openRequest,
  sealResponse,
  thumbprint,
  type PrivateJwk,
} from '@sealwire/core'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, VERSION } from '@sealwire/cli'
import { STACK_LINE, dumpResponse, startSealwireServer, sw } from './helpers.js'

// The worked example of docs/PROTOCOL.md §8 (iat 1795814083), kept here as test vectors.
const DOC_REQUEST = 'eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSIsInR5cCI6InNlYWx3aXJlLXJlcStqd2UiLCJraWQiOiI4N3hvN1R3eTBObDkxM0NzRHpEb2hjRHpnLTF2NFBvN3ZDTmVPX0ZIbTBJIiwiaWF0IjoxNzk1ODE0MDgzLCJqdGkiOiJ0NEdmRy03Wi1KaVVIX1hJZUNKNVFnIiwiaHRtIjoiUE9TVCIsImh0dSI6Ii9hcGkvdHJhbnNmZXI_aWRlbXBvdGVuY3k9NyIsImVwayI6eyJ4IjoiQTlhQnhmeGdIX2FQMUFnRXdjLUJGTHVfNHdOWFV4NkhZTWpTTDZLZzRISSIsImNydiI6IlAtMjU2Iiwia3R5IjoiRUMiLCJ5IjoidndfS0NvWW83LWxFcmhvaVltWUFFRnFfa2RQSEFFT05Fb3NkQktDNWpVOCJ9fQ..uaMZt1xk8BhCyow2.niIQ5oXpBLUPjnXr25qnMJ2P497hAw4Vc-fDMPkQiguQzye1T2swd63u_n6hKpTHRQKuAMXFXxUgOwYVBFlj0DQGKfjFgAeV8i-wHHqknVBg0mCuofU.uEePh3O4PfjJnuofKyfdYg'
const DOC_RESPONSE = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwidHlwIjoic2VhbHdpcmUtcmVzK2p3ZSIsImp0aSI6InQ0R2ZHLTdaLUppVUhfWEllQ0o1UWciLCJzdHMiOjIwMCwiY3R5IjoiYXBwbGljYXRpb24vanNvbiJ9..6gIQwT--FppF5Jdh.UBt7SUy641xhIag._8roE54ZOveHPlbfYy-LVw'
const DOC_IAT_MS = 1_795_814_083_000
const DOC_KID = '87xo7Twy0Nl913CsDzDohcDzg-1v4Po7vCNeO_FHm0I'

const COMMANDS = ['keys generate', 'keys public', 'keys rotate', 'inspect', 'seal', 'open']

let dir: string
let privateFile: string
let publicFile: string
let privateSet: { keys: PrivateJwk[] }
const cwd = () => dir

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealwire-cli-'))
  const p256 = await generateKeyPair('P-256')
  const x25519 = await generateKeyPair('X25519')
  privateSet = { keys: [p256.privateJwk, x25519.privateJwk] }
  privateFile = join(dir, 'server.jwks.json')
  publicFile = join(dir, 'public.jwks.json')
  writeFileSync(privateFile, JSON.stringify(privateSet), { mode: 0o600 })
  writeFileSync(publicFile, JSON.stringify({ keys: [p256.publicJwk, x25519.publicJwk] }))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const modeOf = (file: string) => statSync(file).mode & 0o777
const file = (name: string) => join(dir, name)

describe('sealwire: the command line itself', () => {
  it('prints the version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../packages/cli/package.json', import.meta.url), 'utf8')) as { version: string }
    expect(VERSION).toBe(pkg.version)
    const r = await sw(['--version'], { cwd: cwd() })
    expect(r).toMatchObject({ code: EXIT_OK, stdout: `${pkg.version}\n` })
  })

  it('answers no command with the usage on stderr, exit 2', async () => {
    const r = await sw([], { cwd: cwd() })
    expect(r.code).toBe(EXIT_USAGE)
    expect(r.stderr).toContain('Usage: sealwire <command>')
    expect(r.stdout).toBe('')
  })

  it('lists every command in --help', async () => {
    const r = await sw(['--help'], { cwd: cwd() })
    expect(r.code).toBe(EXIT_OK)
    for (const c of COMMANDS) expect(r.stdout).toContain(c)
  })

  for (const command of COMMANDS) {
    it(`has --help, -h and "help" for "${command}"`, async () => {
      const words = command.split(' ')
      for (const argv of [[...words, '--help'], [...words, '-h'], ['help', ...words], [...words, '--bogus', '--help']]) {
        const r = await sw(argv, { cwd: cwd() })
        expect(r.code, argv.join(' ')).toBe(EXIT_OK)
        expect(r.stdout.startsWith(`Usage: sealwire ${command}`), argv.join(' ')).toBe(true)
        expect(r.stderr).toBe('')
      }
    })
  }

  it('has help for the keys group, and refuses it without a subcommand', async () => {
    expect((await sw(['keys', '--help'], { cwd: cwd() })).stdout).toContain('keys generate')
    const bare = await sw(['keys'], { cwd: cwd() })
    expect(bare.code).toBe(EXIT_USAGE)
    expect(bare.stderr).toContain('Usage: sealwire keys')
  })

  it('refuses unknown commands and options with one line and the usage hint, exit 2', async () => {
    for (const [argv, line] of [
      [['frobnicate'], 'sealwire: unknown command "frobnicate"'],
      [['keys', 'frobnicate'], 'sealwire keys: unknown command "keys frobnicate"'],
      [['seal', '--bogus'], "sealwire seal: Unknown option '--bogus'"],
      [['help', 'nope'], 'sealwire: unknown command "nope"'],
    ] as const) {
      const r = await sw([...argv], { cwd: cwd() })
      expect(r.code, argv.join(' ')).toBe(EXIT_USAGE)
      const lines = r.stderr.trimEnd().split('\n')
      expect(lines).toHaveLength(2)
      expect(lines[0]).toBe(line)
      expect(lines[1]).toMatch(/^Run 'sealwire.* --help' for usage\.$/)
    }
  })

  it('never prints a stack trace, unless SEALWIRE_DEBUG=1', async () => {
    const plain = await sw(['inspect', 'not-a-jwe'], { cwd: cwd() })
    expect(plain.code).toBe(EXIT_FAILURE)
    expect(plain.stderr).not.toMatch(STACK_LINE)
    const debug = await sw(['inspect', 'not-a-jwe'], { cwd: cwd(), env: { SEALWIRE_DEBUG: '1' } })
    expect(debug.code).toBe(EXIT_FAILURE)
    expect(debug.stderr).toMatch(STACK_LINE)
  })
})

describe('sealwire keys rotate', () => {
  it('adds a new primary per curve, retires the old keys in the file (0600 kept), and the server ring restores it exactly', async () => {
    const path = file('rotating.json')
    writeFileSync(path, JSON.stringify(privateSet), { mode: 0o600 })
    const [oldP256, oldX25519] = privateSet.keys.map((k) => k.kid)
    const r = await sw(['keys', 'rotate', 'rotating.json'], { cwd: cwd() })
    expect(r.code).toBe(EXIT_OK)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/rotated rotating\.json \(mode 0600\)/)
    expect(r.stderr).toMatch(/jwksMaxAgeSeconds \+ maxAgeSeconds/)
    expect(modeOf(path)).toBe(0o600)
    const rotated = JSON.parse(readFileSync(path, 'utf8')) as { keys: (PrivateJwk & { retired?: boolean })[] }
    expect(rotated.keys.map((k) => [k.crv, k.retired === true])).toEqual([['P-256', false], ['X25519', false], ['P-256', true], ['X25519', true]])
    expect(rotated.keys.slice(2).map((k) => k.kid)).toEqual([oldP256, oldX25519])
    for (const key of rotated.keys) expect(r.stderr).not.toContain(key.d)

    const ring = await KeyRing.from(rotated)
    expect(ring.primaryKid).toBe(rotated.keys[0]!.kid)
    expect(ring.publicJwks().keys.map((k) => k.kid)).toEqual([rotated.keys[0]!.kid, rotated.keys[1]!.kid]) // retired: not advertised
    expect(ring.get(oldP256!)?.retired).toBe(true) // still opens
    // The public set a client pins is the new one only.
    const pub = JSON.parse((await sw(['keys', 'public', 'rotating.json'], { cwd: cwd() })).stdout) as { keys: { kid: string }[] }
    expect(pub.keys.map((k) => k.kid)).toEqual([rotated.keys[0]!.kid, rotated.keys[1]!.kid]) // retired keys are not for sealing to
    const all = JSON.parse((await sw(['keys', 'public', 'rotating.json', '--include-retired'], { cwd: cwd() })).stdout) as { keys: { kid: string; retired?: true }[] }
    expect(all.keys.map((k) => [k.kid, k.retired === true])).toEqual(rotated.keys.map((k) => [k.kid, k.retired === true]))

    // A second rotation with --drop-retired forgets the first generation.
    const again = await sw(['keys', 'rotate', 'rotating.json', '--drop-retired', '--curve', 'P-256'], { cwd: cwd() })
    expect(again.code).toBe(EXIT_OK)
    const twice = JSON.parse(readFileSync(path, 'utf8')) as { keys: (PrivateJwk & { retired?: boolean })[] }
    expect(twice.keys.map((k) => k.kid)).not.toContain(oldP256)
    expect(twice.keys.map((k) => [k.crv, k.retired === true])).toEqual([['P-256', false], ['P-256', true], ['X25519', true]])
    expect(modeOf(path)).toBe(0o600)
  })

  it('refuses a missing FILE (usage) and a public set (invalid_keys), leaving the file as it was', async () => {
    expect((await sw(['keys', 'rotate'], { cwd: cwd() })).code).toBe(EXIT_USAGE)
    const before = readFileSync(publicFile, 'utf8')
    const r = await sw(['keys', 'rotate', publicFile], { cwd: cwd() })
    expect(r.code).toBe(EXIT_FAILURE)
    expect(r.stderr).toContain('invalid_keys')
    expect(readFileSync(publicFile, 'utf8')).toBe(before)
  })
})

describe('sealwire keys generate', () => {
  it('prints a private P-256 + X25519 set by default, kids = RFC 7638 thumbprints, with a warning on stderr', async () => {
    const r = await sw(['keys', 'generate'], { cwd: cwd() })
    expect(r.code).toBe(EXIT_OK)
    expect(r.stderr).toMatch(/PRIVATE key set/)
    const set = JSON.parse(r.stdout) as { keys: PrivateJwk[] }
    expect(set.keys.map((k) => k.crv)).toEqual(['P-256', 'X25519'])
    for (const key of set.keys) {
      expect(key.d).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(key.kid).toBe(await thumbprint(key))
      expect(key).toMatchObject({ use: 'enc', alg: 'ECDH-ES' })
    }
    // It loads as a server key ring.
    expect((await KeyRing.from(set)).primaryKid).toBe(set.keys[0]!.kid)
  })

  it('takes --curve, once or repeated, in any case', async () => {
    const one = JSON.parse((await sw(['keys', 'generate', '--curve', 'x25519'], { cwd: cwd() })).stdout) as { keys: PrivateJwk[] }
    expect(one.keys.map((k) => k.crv)).toEqual(['X25519'])
    const two = JSON.parse((await sw(['keys', 'generate', '--curve', 'X25519', '--curve', 'p-256'], { cwd: cwd() })).stdout) as { keys: PrivateJwk[] }
    expect(two.keys.map((k) => k.crv)).toEqual(['X25519', 'P-256'])
  })

  it('writes --out with mode 0600, prints no key, and refuses to overwrite without --force', async () => {
    const out = file('generated.json')
    const first = await sw(['keys', 'generate', '--out', 'generated.json'], { cwd: cwd() })
    expect(first.code).toBe(EXIT_OK)
    expect(first.stdout).toBe('')
    expect(first.stderr).toMatch(/wrote 2 private keys to generated\.json \(mode 0600\)/)
    expect(modeOf(out)).toBe(0o600)
    const before = readFileSync(out, 'utf8')
    expect(first.stderr).not.toContain((JSON.parse(before) as { keys: PrivateJwk[] }).keys[0]!.d)

    const again = await sw(['keys', 'generate', '--out', 'generated.json'], { cwd: cwd() })
    expect(again.code).toBe(EXIT_FAILURE)
    expect(again.stderr).toContain('sealwire keys generate: file_exists: generated.json already exists')
    expect(again.stderr).toContain('--force')
    expect(readFileSync(out, 'utf8')).toBe(before)

    const forced = await sw(['keys', 'generate', '--out', 'generated.json', '--force', '--curve', 'P-256'], { cwd: cwd() })
    expect(forced.code).toBe(EXIT_OK)
    expect(readFileSync(out, 'utf8')).not.toBe(before)
    expect(modeOf(out)).toBe(0o600)
  })

  it('replaces a world-readable file with a 0600 one under --force', async () => {
    const out = file('loose.json')
    writeFileSync(out, '{}', { mode: 0o644 })
    expect((await sw(['keys', 'generate', '--out', out, '--force'], { cwd: cwd() })).code).toBe(EXIT_OK)
    expect(modeOf(out)).toBe(0o600)
  })

  it('refuses bad input: unknown curve, stray --force or argument (2); unwritable path (1)', async () => {
    const curve = await sw(['keys', 'generate', '--curve', 'P-384'], { cwd: cwd() })
    expect(curve.code).toBe(EXIT_USAGE)
    expect(curve.stderr).toContain('--curve must be one of P-256, X25519, got "P-384"')
    expect((await sw(['keys', 'generate', '--force'], { cwd: cwd() })).code).toBe(EXIT_USAGE)
    expect((await sw(['keys', 'generate', 'extra'], { cwd: cwd() })).code).toBe(EXIT_USAGE)
    const io = await sw(['keys', 'generate', '--out', 'no/such/dir/keys.json'], { cwd: cwd() })
    expect(io.code).toBe(EXIT_FAILURE)
    expect(io.stderr).toContain('io_error: cannot write no/such/dir/keys.json: no such file')
  })
})

describe('sealwire keys public', () => {
  it('prints the public set a server would serve: no private members, kids checked', async () => {
    const r = await sw(['keys', 'public', privateFile], { cwd: cwd() })
    expect(r.code).toBe(EXIT_OK)
    expect(r.stdout).not.toContain('"d"')
    expect(JSON.parse(r.stdout)).toEqual((await KeyRing.from(privateSet)).publicJwks())
  })

  it('reads stdin with -, or when no FILE is given and stdin is piped', async () => {
    const expected = (await KeyRing.from(privateSet)).publicJwks()
    for (const argv of [['keys', 'public', '-'], ['keys', 'public']]) {
      const r = await sw(argv, { cwd: cwd(), stdin: JSON.stringify(privateSet) })
      expect(r.code).toBe(EXIT_OK)
      expect(JSON.parse(r.stdout)).toEqual(expected)
    }
  })

  it('accepts a public set or a single JWK', async () => {
    const pub = JSON.parse(readFileSync(publicFile, 'utf8')) as { keys: unknown[] }
    expect(JSON.parse((await sw(['keys', 'public', publicFile], { cwd: cwd() })).stdout)).toEqual(pub)
    const single = await sw(['keys', 'public', '-'], { cwd: cwd(), stdin: JSON.stringify(privateSet.keys[1]) })
    expect(JSON.parse(single.stdout)).toEqual({ keys: [pub.keys[1]] })
  })

  it('refuses bad keys with invalid_keys (exit 1), never echoing key material', async () => {
    const d = privateSet.keys[0]!.d
    const cases: Array<[unknown, string]> = [
      [{ keys: [{ ...privateSet.keys[0], x: 'short' }] }, 'keys[0]: private JWK is not a Sealwire P-256 or X25519 key'],
      [{ keys: [privateSet.keys[1], { ...privateSet.keys[0], kid: 'wrong' }] }, 'keys[1]: private JWK has kid "wrong"'],
      [{ keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] }, 'keys[0]: public JWK is not a Sealwire'],
      [{ keys: [] }, 'holds no keys'],
      [{ nope: 1 }, 'is not a JWK Set'],
    ]
    for (const [input, message] of cases) {
      const r = await sw(['keys', 'public', '-'], { cwd: cwd(), stdin: JSON.stringify(input) })
      expect(r.code, message).toBe(EXIT_FAILURE)
      expect(r.stderr).toContain('sealwire keys public: invalid_keys: stdin')
      expect(r.stderr).toContain(message)
      expect(r.stderr).not.toContain(d)
      expect(r.stdout).toBe('')
    }
    // Well-formed members that do not make a key: a d beside another key's x/y, a point off the curve.
    const other = await generateKeyPair('P-256')
    const otherX = await generateKeyPair('X25519')
    const offCurve = { ...other.publicJwk, y: other.publicJwk.x, kid: undefined }
    for (const [input, message] of [
      [{ keys: [{ ...privateSet.keys[0], d: other.privateJwk.d }] }, 'keys[0]: private JWK does not import: its d does not belong to its public part'],
      [{ keys: [{ ...privateSet.keys[1], d: otherX.privateJwk.d }] }, 'keys[0]: private JWK does not import'],
      [{ keys: [offCurve] }, 'keys[0]: public JWK does not import: the point is off the curve'],
    ] as const) {
      const r = await sw(['keys', 'public', '-'], { cwd: cwd(), stdin: JSON.stringify(input) })
      expect(r.code, message).toBe(EXIT_FAILURE)
      expect(r.stderr).toContain(`invalid_keys: stdin: ${message}`)
      expect(r.stderr).not.toContain(other.privateJwk.d)
    }
    const notJson = await sw(['keys', 'public', '-'], { cwd: cwd(), stdin: 'hello' })
    expect(notJson.stderr).toContain('invalid_keys: stdin is not JSON')
  })

  it('refuses a missing file (1) and waits on no terminal (2)', async () => {
    const missing = await sw(['keys', 'public', 'missing.json'], { cwd: cwd() })
    expect(missing.code).toBe(EXIT_FAILURE)
    expect(missing.stderr).toContain('io_error: cannot read missing.json: no such file')
    const tty = await sw(['keys', 'public'], { cwd: cwd() })
    expect(tty.code).toBe(EXIT_USAGE)
    expect(tty.stderr).toContain('missing key set')
  })
})

describe('sealwire inspect', () => {
  it('explains the documented request envelope: kind, kid, alg, epk, iat age, jti, binding, part sizes', async () => {
    const r = await sw(['inspect', DOC_REQUEST], { cwd: cwd(), now: () => DOC_IAT_MS + 12_000 })
    expect(r.code).toBe(EXIT_OK)
    expect(r.stdout).toContain('sealwire request envelope (sealwire-req+jwe), not decrypted')
    expect(r.stdout).toMatch(new RegExp(`kid\\s+${DOC_KID}`))
    expect(r.stdout).toMatch(/alg \/ enc\s+ECDH-ES \/ A256GCM/)
    expect(r.stdout).toMatch(/epk\s+P-256 \(EC\)/)
    expect(r.stdout).toContain('1795814083 = 2026-11-27T21:14:43Z, 12 s ago (within the 60 s / 5 s window)')
    expect(r.stdout).toMatch(/jti\s+t4GfG-7Z-JiUH_XIeCJ5Qg \(16 bytes\)/)
    expect(r.stdout).toMatch(/htm htu\s+POST \/api\/transfer\?idempotency=7/)
    expect(r.stdout).toMatch(/iv\s+12 B/)
    expect(r.stdout).toMatch(/tag\s+16 B/)
    expect(r.stdout).toMatch(/encrypted key\s+0 B/)
    // {"to":"alice","amount":42} is 26 bytes.
    expect(r.stdout).toContain('rk + a body of 26 B')
    expect(r.stdout).toContain('all pass')
  })

  it('flags an iat outside the window, and the window follows --max-age/--max-skew', async () => {
    const late = await sw(['inspect', DOC_REQUEST], { cwd: cwd(), now: () => DOC_IAT_MS + 75_000 })
    expect(late.code).toBe(EXIT_OK)
    expect(late.stdout).toContain('1 min 15 s ago (OUTSIDE the 60 s / 5 s window)')
    expect(late.stdout).toContain('! stale_request: iat is 1 min 15 s old, older than the 60 s window')
    const widened = await sw(['inspect', '--max-age', '120', DOC_REQUEST], { cwd: cwd(), now: () => DOC_IAT_MS + 75_000 })
    expect(widened.stdout).toContain('(within the 120 s / 5 s window)')
    const early = await sw(['inspect', DOC_REQUEST], { cwd: cwd(), now: () => DOC_IAT_MS - 8_000 })
    expect(early.stdout).toContain('8 s in the future (OUTSIDE')
    expect(early.stdout).toContain('ahead of this clock')
    expect((await sw(['inspect', '--max-skew', '10', DOC_REQUEST], { cwd: cwd(), now: () => DOC_IAT_MS - 8_000 })).stdout).not.toContain('OUTSIDE')
  })

  it('prints machine-readable JSON with --json', async () => {
    const r = await sw(['inspect', '--json', DOC_REQUEST], { cwd: cwd(), now: () => DOC_IAT_MS + 75_000 })
    const j = JSON.parse(r.stdout) as Record<string, any>
    expect(j.kind).toBe('request')
    expect(j.header).toMatchObject({ kid: DOC_KID, htm: 'POST', htu: '/api/transfer?idempotency=7', iat: 1795814083 })
    expect(j.iat).toMatchObject({ value: 1795814083, time: '2026-11-27T21:14:43Z', ageSeconds: 75, maxAgeSeconds: 60, maxSkewSeconds: 5, fresh: false })
    expect(j.parts).toMatchObject({ encryptedKey: { bytes: 0 }, iv: { bytes: 12 }, tag: { bytes: 16 }, ciphertext: { bytes: 86 } })
    expect(j.findings).toEqual([expect.objectContaining({ code: 'stale_request' })])
  })

  it('explains the documented response envelope', async () => {
    const r = await sw(['inspect', DOC_RESPONSE], { cwd: cwd() })
    expect(r.code).toBe(EXIT_OK)
    expect(r.stdout).toContain('sealwire response envelope (sealwire-res+jwe), not decrypted')
    expect(r.stdout).toMatch(/alg \/ enc\s+dir \/ A256GCM/)
    expect(r.stdout).toMatch(/sts\s+200/)
    expect(r.stdout).toMatch(/cty\s+application\/json/)
    expect(r.stdout).toMatch(/ciphertext\s+11 B = plaintext size/)
    expect(r.stdout).not.toMatch(/kid|epk/)
  })

  it('reads -, @FILE, a Sealwire-Envelope header line and a curl -i dump', async () => {
    writeFileSync(file('req.jwe'), `${DOC_REQUEST}\n`)
    for (const [argv, stdin] of [
      [['inspect', '-'], DOC_REQUEST],
      [['inspect'], `Sealwire-Envelope: ${DOC_REQUEST}`],
      [['inspect', '@req.jwe'], undefined],
      [['inspect', '-'], `HTTP/1.1 200 OK\r\nContent-Type: application/jose\r\n\r\n${DOC_RESPONSE}`],
    ] as const) {
      const r = await sw([...argv], { cwd: cwd(), ...(stdin === undefined ? {} : { stdin }) })
      expect(r.code, argv.join(' ')).toBe(EXIT_OK)
      expect(r.stdout).toMatch(/sealwire (request|response) envelope/)
    }
  })

  it('lists what a server would refuse before decrypting: foreign alg, zip, crit, schema, part sizes, typ', async () => {
    const [, ...rest] = DOC_REQUEST.split('.')
    const withHeader = (h: Record<string, unknown>, parts = rest) => [Buffer.from(JSON.stringify(h)).toString('base64url'), ...parts].join('.')
    const header = decodeProtectedHeader(DOC_REQUEST)
    const cases: Array<[string, string]> = [
      [withHeader({ ...header, alg: 'RSA-OAEP' }), 'unsupported_algorithm: alg/enc is RSA-OAEP/A256GCM'],
      [withHeader({ ...header, zip: 'DEF' }), 'unsupported_algorithm: "zip" is not allowed'],
      [withHeader({ ...header, crit: ['x'] }), 'unsupported_algorithm: "crit" is not allowed'],
      [withHeader({ ...header, htm: 'post' }), 'malformed_envelope: htm: must be an uppercase HTTP method'],
      [withHeader({ ...header, jti: 'c2hvcnQ' }), 'malformed_envelope: jti:'],
      [withHeader({ ...header, typ: 'JWT' }), 'malformed_envelope: typ "JWT" is neither'],
      [withHeader(header, ['AAAA', ...rest.slice(1)]), 'decryption_failed: the encrypted key must be empty'],
      [withHeader(header, [rest[0]!, 'AAAA', rest[2]!, rest[3]!]), 'decryption_failed: the IV must be 12 bytes, it has 3'],
    ]
    for (const [envelope, finding] of cases) {
      const r = await sw(['inspect', envelope], { cwd: cwd(), now: () => DOC_IAT_MS })
      expect(r.code, finding).toBe(EXIT_OK)
      expect(r.stdout).toContain(`! ${finding}`)
    }
    const far = await sw(['inspect', withHeader({ ...header, iat: Number.MAX_SAFE_INTEGER })], { cwd: cwd(), now: () => DOC_IAT_MS })
    expect(far.code).toBe(EXIT_OK)
    expect(far.stdout).toContain('beyond the range of dates')
  })

  it('refuses what is not a JWE with malformed_envelope, exit 1', async () => {
    for (const input of ['garbage', 'a.b.c', 'a.b.c.d.e', '!!.a.b.c.d', `${Buffer.from('[1]').toString('base64url')}.a.b.c.d`]) {
      const r = await sw(['inspect', input], { cwd: cwd() })
      expect(r.code, input).toBe(EXIT_FAILURE)
      expect(r.stderr, input).toMatch(/^sealwire inspect: malformed_envelope: /)
      expect(r.stdout).toBe('')
    }
    const empty = await sw(['inspect', '-'], { cwd: cwd(), stdin: '' })
    expect(empty.code).toBe(EXIT_FAILURE)
    const big = await sw(['inspect', `${'A'.repeat(9000)}.a.b.c.d`], { cwd: cwd() })
    expect(big.stderr).toContain('payload_too_large')
  })

  it('refuses bad usage with exit 2', async () => {
    expect((await sw(['inspect'], { cwd: cwd() })).code).toBe(EXIT_USAGE)
    expect((await sw(['inspect', 'a', 'b'], { cwd: cwd() })).code).toBe(EXIT_USAGE)
    const age = await sw(['inspect', '--max-age', '-1', DOC_REQUEST], { cwd: cwd() })
    expect(age.code).toBe(EXIT_USAGE)
    expect((await sw(['inspect', '--max-age', 'soon', DOC_REQUEST], { cwd: cwd() })).stderr).toContain('--max-age must be an integer')
  })
})

describe('sealwire seal and open', () => {
  async function sealTo(args: string[], now?: () => number) {
    const r = await sw(['seal', '--jwks', publicFile, ...args], { cwd: cwd(), ...(now === undefined ? {} : { now }) })
    expect(r.code, r.stderr).toBe(EXIT_OK)
    return r
  }

  it('seals a request a server opens, like a client: X25519 preferred, reply context in a 0600 file', async () => {
    const r = await sealTo(['--method', 'post', '--target', '/api/echo?x=1', '--data', '{"hello":"world"}', '--reply-out', 'reply.json'])
    const envelope = r.stdout.trim()
    const header = decodeProtectedHeader(envelope)
    expect(header).toMatchObject({ typ: 'sealwire-req+jwe', kid: privateSet.keys[1]!.kid, htm: 'POST', htu: '/api/echo?x=1' })
    expect(modeOf(file('reply.json'))).toBe(0o600)
    const reply = JSON.parse(readFileSync(file('reply.json'), 'utf8')) as Record<string, string>
    expect(reply).toMatchObject({ sealwire: 'reply-context', version: 1, jti: header.jti, method: 'POST', target: '/api/echo?x=1' })
    // The response key stays in the file.
    expect(r.stdout + r.stderr).not.toContain(reply.rk)
    const opened = await openRequest(envelope, { keyRing: await KeyRing.from(privateSet), replayStore: new MemoryReplayStore({ clock: () => 0 }), request: { method: 'POST', target: '/api/echo?x=1' } })
    expect(opened.body).toEqual({ hello: 'world' })
    expect(Buffer.from(opened.reply.rk).toString('base64url')).toBe(reply.rk)
  })

  it('seals to the key asked for: --curve or --kid', async () => {
    const p256 = await sealTo(['--target', '/x', '--curve', 'P-256'])
    expect(decodeProtectedHeader(p256.stdout.trim()).kid).toBe(privateSet.keys[0]!.kid)
    // --kid=VALUE: a thumbprint may begin with "-" (base64url).
    const byKid = await sealTo(['--target', '/x', `--kid=${privateSet.keys[0]!.kid}`])
    expect(decodeProtectedHeader(byKid.stdout.trim()).kid).toBe(privateSet.keys[0]!.kid)
    const unknown = await sw(['seal', '--jwks', publicFile, '--target', '/x', '--kid', 'nope'], { cwd: cwd() })
    expect(unknown.code).toBe(EXIT_FAILURE)
    expect(unknown.stderr).toContain('unknown_key: no key with kid nope in the set')
  })

  it('defaults to GET without --data, the envelope then travelling in the Sealwire-Envelope header', async () => {
    const r = await sealTo(['--target', '/api/ping'])
    expect(decodeProtectedHeader(r.stdout.trim()).htm).toBe('GET')
    expect(r.stderr).toContain('Sealwire-Envelope')
    expect(r.stderr).toContain('without --reply-out FILE the response to this request cannot be opened')
    const json = JSON.parse((await sealTo(['--target', '/api/ping', '--json'])).stdout) as Record<string, any>
    expect(json).toMatchObject({ method: 'GET', target: '/api/ping', placement: 'header', crv: 'X25519' })
    expect(json.headers['Sealwire-Envelope']).toBe(json.envelope)
  })

  it('reads --data from @FILE and from stdin (@- or -), and stamps iat from the clock', async () => {
    writeFileSync(file('body.json'), '{"from":"file"}')
    const keyRing = await KeyRing.from(privateSet)
    const openAt = async (envelope: string, now: number) =>
      (await openRequest(envelope, { keyRing, replayStore: { checkAndSet: async () => true }, request: { method: 'PUT', target: '/t' }, clock: () => now })).body
    const now = 1_700_000_000_000
    const fromFile = await sealTo(['--method', 'PUT', '--target', '/t', '--data', '@body.json'], () => now)
    expect(decodeProtectedHeader(fromFile.stdout.trim()).iat).toBe(1_700_000_000)
    expect(await openAt(fromFile.stdout.trim(), now)).toEqual({ from: 'file' })
    for (const flag of ['@-', '-']) {
      const r = await sw(['seal', '--jwks', publicFile, '--method', 'PUT', '--target', '/t', '--data', flag], { cwd: cwd(), stdin: '[1,2,3]', now: () => now })
      expect(r.code).toBe(EXIT_OK)
      expect(await openAt(r.stdout.trim(), now)).toEqual([1, 2, 3])
    }
  })

  it('prints a curl command line with --curl', async () => {
    const r = await sealTo(['--target', '/api/echo', '--data', '{}', '--curl', 'https://localhost:8443', '-k'])
    expect(r.stdout).toMatch(/^curl -sS -i -k -X POST -H 'Content-Type: application\/jose' --data-binary eyJ[\w.-]+ https:\/\/localhost:8443\/api\/echo\n$/)
  })

  it('refuses bad usage with exit 2 before any key work', async () => {
    const cases: Array<[string[], string]> = [
      [['seal', '--target', '/x'], '--jwks FILE|URL is required'],
      [['seal', '--jwks', publicFile], '--target PATH is required'],
      [['seal', '--jwks', publicFile, '--target', 'api/x'], '--target must be origin-form'],
      [['seal', '--jwks', publicFile, '--target', 'https://h/x'], '--target must be origin-form'],
      [['seal', '--jwks', publicFile, '--target', '/x', '--data', '{nope'], '--data is not valid JSON'],
      [['seal', '--jwks', publicFile, '--target', '/x', '--method', 'GE T'], '--method must be an HTTP method'],
      [['seal', '--jwks', publicFile, '--target', '/x', '--kid', 'a', '--curve', 'X25519'], 'pass --kid or --curve, not both'],
      [['seal', '--jwks', publicFile, '--target', '/x', '--curl', 'https://h/api'], '--curl takes the origin only'],
      [['seal', '--jwks', publicFile, '--target', '/x', '--curl', 'localhost'], '--curl must be a URL'],
      [['seal', '--jwks', publicFile, '--target', '/x', 'extra'], 'unexpected argument: extra'],
      [['seal', '--jwks', publicFile, '--target', '/x', '--kid', '-abc'], '--kid got a value starting with "-": write it as --kid=VALUE'],
    ]
    for (const [argv, message] of cases) {
      const r = await sw(argv, { cwd: cwd() })
      expect(r.code, message).toBe(EXIT_USAGE)
      expect(r.stderr).toContain(`sealwire seal: ${message}`)
      expect(r.stdout).toBe('')
    }
  })

  it('refuses a bad key set or file with exit 1', async () => {
    writeFileSync(file('bad.jwks.json'), '{"keys":[{"kty":"EC","crv":"P-384","x":"a","y":"b"}]}')
    const bad = await sw(['seal', '--jwks', 'bad.jwks.json', '--target', '/x'], { cwd: cwd() })
    expect(bad.code).toBe(EXIT_FAILURE)
    expect(bad.stderr).toContain('invalid_keys: bad.jwks.json: keys[0]')
    const missing = await sw(['seal', '--jwks', 'none.json', '--target', '/x'], { cwd: cwd() })
    expect(missing.code).toBe(EXIT_FAILURE)
    expect(missing.stderr).toContain('io_error: cannot read none.json: no such file')
  })

  describe('open a response', () => {
    async function sealedPair(data: unknown) {
      const r = await sealTo(['--target', '/api/echo', '--data', JSON.stringify(data), '--reply-out', 'pair.json'])
      const server = await openRequest(r.stdout.trim(), { keyRing: await KeyRing.from(privateSet), replayStore: { checkAndSet: async () => true }, request: { method: 'POST', target: '/api/echo' } })
      return server.reply
    }

    it('opens a response sealed by core: status, cty and the plaintext', async () => {
      const reply = await sealedPair({ n: 1 })
      const jwe = await sealResponse({ reply, status: 201, contentType: 'application/json', body: '{"created":true}' })
      const r = await sw(['open', '--reply', 'pair.json', '--status', '201', jwe], { cwd: cwd() })
      expect(r.code, r.stderr).toBe(EXIT_OK)
      expect(r.stdout).toMatch(/^status\s+201\ncontent-type\s+application\/json\nrequest\s+POST \/api\/echo\n\n\{\n  "created": true\n\}\n$/)
      expect(r.stderr).toBe('')
      const json = await sw(['open', '--reply', 'pair.json', '--status', '201', '--json', jwe], { cwd: cwd() })
      expect(JSON.parse(json.stdout)).toMatchObject({ status: 201, contentType: 'application/json', body: { created: true } })
      const text = await sealResponse({ reply, status: 200, contentType: 'text/plain', body: 'plain words' })
      expect((await sw(['open', '--reply', 'pair.json', '--status', '200', text], { cwd: cwd() })).stdout).toMatch(/\n\nplain words\n$/)
    })

    it('without --status reports the sealed status as unchecked', async () => {
      const reply = await sealedPair(null)
      const jwe = await sealResponse({ reply, status: 200, contentType: 'application/json', body: '1' })
      const r = await sw(['open', '--reply', 'pair.json'], { cwd: cwd(), stdin: jwe })
      expect(r.code).toBe(EXIT_OK)
      expect(r.stderr).toContain('the sealed status was not checked')
    })

    it('refuses a response for another status, another request, or altered', async () => {
      const reply = await sealedPair(null)
      const jwe = await sealResponse({ reply, status: 403, contentType: 'application/json', body: '{}' })
      const status = await sw(['open', '--reply', 'pair.json', '--status', '200', jwe], { cwd: cwd() })
      expect(status.code).toBe(EXIT_FAILURE)
      expect(status.stderr).toContain('response_binding_mismatch: Sealed status differs from the HTTP status')
      await sealedPair(null) // pair.json now holds another request's context
      const other = await sw(['open', '--reply', 'pair.json', '--status', '403', jwe], { cwd: cwd() })
      expect(other.code).toBe(EXIT_FAILURE)
      expect(other.stderr).toContain('response_decryption_failed')
      expect(other.stderr).toContain('hint: is pair.json the reply context of this request')
      const parts = jwe.split('.')
      parts[3] = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`
      const altered = await sw(['open', '--reply', 'pair.json', '--status', '403', parts.join('.')], { cwd: cwd() })
      expect(altered.stderr).toContain('response_decryption_failed')
    })

    it('empty input: says the input was empty and how to pass one, never that the server answered it', async () => {
      await sealedPair(null)
      writeFileSync(file('empty.txt'), '\n')
      for (const [argv, stdin, source] of [
        [['open', '--reply', 'pair.json'], '', 'stdin'],
        [['open', '--reply', 'pair.json', '-'], ' \n', 'stdin'],
        [['open', '--reply', 'pair.json', '@empty.txt'], undefined, 'empty.txt'],
        [['open', '--keys', 'server.jwks.json', '--method', 'POST', '--target', '/api/echo'], '', 'stdin'],
      ] as const) {
        const r = await sw([...argv], { cwd: cwd(), ...(stdin === undefined ? {} : { stdin }) })
        expect(r.code, argv.join(' ')).toBe(EXIT_FAILURE)
        expect(r.stderr).toContain(`empty_input: the ${argv[1] === '--reply' ? 'response' : 'envelope'} on ${source} is empty`)
        expect(r.stderr).toMatch(/hint: .*pipe it/)
        expect(r.stderr).not.toContain('server answered')
      }
    })

    it('refuses a bad reply file (1) and bad usage (2)', async () => {
      writeFileSync(file('not-reply.json'), '{"rk":"x"}')
      const bad = await sw(['open', '--reply', 'not-reply.json', DOC_RESPONSE], { cwd: cwd() })
      expect(bad.code).toBe(EXIT_FAILURE)
      expect(bad.stderr).toContain('invalid_reply: not-reply.json is not a sealwire reply context')
      for (const [argv, message] of [
        [['open', DOC_RESPONSE], 'pass --reply FILE to open a response, or --keys FILE to open a request'],
        [['open', '--reply', 'a', '--keys', 'b', DOC_RESPONSE], 'pass --reply FILE'],
        [['open', '--reply', 'a', '--method', 'GET', DOC_RESPONSE], '--method applies to opening a request'],
        [['open', '--reply', 'a', '--status', '99', DOC_RESPONSE], '--status must be between 100 and 599'],
        [['open', '--reply', 'pair.json'], 'missing response'],
      ] as const) {
        const r = await sw([...argv], { cwd: cwd() })
        expect(r.code, message).toBe(EXIT_USAGE)
        expect(r.stderr).toContain(message)
      }
    })
  })

  describe('open a request', () => {
    let envelope: string
    const now = Date.now()
    beforeAll(async () => {
      envelope = (await sealTo(['--target', '/api/transfer', '--data', '{"to":"alice","amount":42}'], () => now)).stdout.trim()
    })
    const openArgs = (...extra: string[]) => ['open', '--keys', 'server.jwks.json', '--method', 'POST', '--target', '/api/transfer', ...extra]

    it('opens it with the private keys, as often as asked: there is no replay store, and it says so', async () => {
      for (let i = 0; i < 2; i++) {
        const r = await sw(openArgs(envelope), { cwd: cwd(), now: () => now + 3_000 })
        expect(r.code, r.stderr).toBe(EXIT_OK)
        expect(r.stdout).toMatch(/^request\s+POST \/api\/transfer\n/)
        expect(r.stdout).toContain(`(X25519)`)
        expect(r.stdout).toContain('3 s ago')
        expect(r.stdout).toContain('"to": "alice"')
        expect(r.stderr).toContain('no replay store here')
      }
      const json = JSON.parse((await sw(openArgs('--json', envelope), { cwd: cwd(), now: () => now })).stdout) as Record<string, any>
      expect(json).toEqual({ claims: expect.objectContaining({ htm: 'POST', htu: '/api/transfer', crv: 'X25519' }), body: { to: 'alice', amount: 42 } })
      expect(JSON.stringify(json)).not.toMatch(/"rk"/)
    })

    it('refuses another binding, an old envelope, another key set, an altered envelope: exit 1 with hints', async () => {
      const binding = await sw(['open', '--keys', 'server.jwks.json', '--method', 'POST', '--target', '/api/admin', envelope], { cwd: cwd(), now: () => now })
      expect(binding.code).toBe(EXIT_FAILURE)
      expect(binding.stderr).toContain('sealwire open: binding_mismatch: Envelope is bound to another method or target')
      expect(binding.stderr).toContain('hint: the envelope is bound to POST /api/transfer, not POST /api/admin')

      const stale = await sw(openArgs(envelope), { cwd: cwd(), now: () => now + 120_000 })
      expect(stale.code).toBe(EXIT_FAILURE)
      expect(stale.stderr).toContain('stale_request')
      expect(stale.stderr).toContain('pass --max-age 180')
      expect((await sw(openArgs('--max-age', '180', envelope), { cwd: cwd(), now: () => now + 120_000 })).code).toBe(EXIT_OK)

      writeFileSync(file('other.jwks.json'), JSON.stringify({ keys: [(await generateKeyPair('X25519')).privateJwk] }))
      const other = await sw(['open', '--keys', 'other.jwks.json', '--method', 'POST', '--target', '/api/transfer', envelope], { cwd: cwd(), now: () => now })
      expect(other.code).toBe(EXIT_FAILURE)
      expect(other.stderr).toContain('unknown_key')
      expect(other.stderr).toContain(`the envelope is for kid ${privateSet.keys[1]!.kid}`)

      const parts = envelope.split('.')
      parts[3] = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`
      const altered = await sw(openArgs(parts.join('.')), { cwd: cwd(), now: () => now })
      expect(altered.code).toBe(EXIT_FAILURE)
      expect(altered.stderr).toContain('decryption_failed: Envelope could not be decrypted')
      expect(altered.stderr).not.toMatch(STACK_LINE)
    })

    it('refuses a public or mismatched key set (1) and a missing --method/--target (2)', async () => {
      const pub = await sw(['open', '--keys', 'public.jwks.json', '--method', 'POST', '--target', '/api/transfer', envelope], { cwd: cwd() })
      expect(pub.code).toBe(EXIT_FAILURE)
      expect(pub.stderr).toContain('invalid_keys: public.jwks.json: keys[0] is a public key')
      writeFileSync(file('mixed.jwks.json'), JSON.stringify({ keys: [{ ...privateSet.keys[1], d: (await generateKeyPair('X25519')).privateJwk.d }] }))
      const mixed = await sw(['open', '--keys', 'mixed.jwks.json', '--method', 'POST', '--target', '/api/transfer', envelope], { cwd: cwd() })
      expect(mixed.code).toBe(EXIT_FAILURE)
      expect(mixed.stderr).toContain('invalid_keys: mixed.jwks.json: keys[0]: private JWK does not import')
      const usage = await sw(['open', '--keys', 'server.jwks.json', envelope], { cwd: cwd() })
      expect(usage.code).toBe(EXIT_USAGE)
      expect(usage.stderr).toContain('--method and --target are required with --keys')
      expect((await sw([...openArgs('--status', '200'), envelope], { cwd: cwd() })).code).toBe(EXIT_USAGE)
    })
  })
})

describe('sealwire seal and open against a Sealwire server over HTTP', () => {
  let server: Awaited<ReturnType<typeof startSealwireServer>>
  beforeAll(async () => {
    server = await startSealwireServer(privateSet)
  })
  afterAll(() => server.close())

  async function send(sealJson: string): Promise<string> {
    const s = JSON.parse(sealJson) as { method: string; target: string; headers: Record<string, string>; placement: string; envelope: string }
    const res = await fetch(server.origin + s.target, { method: s.method, headers: s.headers, ...(s.placement === 'body' ? { body: s.envelope } : {}) })
    return dumpResponse(res)
  }

  it('fetches the JWK Set from the well-known path, and the response opens with the reply context', async () => {
    const sealed = await sw(['seal', '--jwks', server.origin, '--target', '/api/echo?q=1', '--data', '{"hi":"there"}', '--reply-out', 'http-reply.json', '--json'], { cwd: cwd() })
    expect(sealed.code, sealed.stderr).toBe(EXIT_OK)
    const dump = await send(sealed.stdout)
    const r = await sw(['open', '--reply', 'http-reply.json'], { cwd: cwd(), stdin: dump })
    expect(r.code, r.stderr).toBe(EXIT_OK)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^status\s+200\ncontent-type\s+application\/json/)
    expect(r.stdout).toContain('"hi": "there"')
    expect(r.stdout).toContain('"htu": "/api/echo?q=1"')

    // The same envelope again: the server refuses it, sealed, and open shows the problem.
    const replay = await sw(['open', '--reply', 'http-reply.json', '--json'], { cwd: cwd(), stdin: await send(sealed.stdout) })
    expect(replay.code).toBe(EXIT_OK)
    expect(JSON.parse(replay.stdout)).toMatchObject({ status: 409, contentType: 'application/problem+json', body: { code: 'replayed_request' } })

    // A dump whose status line lies about the sealed status is refused.
    const lied = dump.replace(/^HTTP\/1\.1 200 OK/, 'HTTP/1.1 201 Created')
    const liedResult = await sw(['open', '--reply', 'http-reply.json'], { cwd: cwd(), stdin: lied })
    expect(liedResult.code).toBe(EXIT_FAILURE)
    expect(liedResult.stderr).toContain('response_binding_mismatch')
    expect((await sw(['open', '--reply', 'http-reply.json', '--status', '200'], { cwd: cwd(), stdin: lied })).code).toBe(EXIT_USAGE)
  })

  it('explains a refusal the server could not seal (stale envelope): response_not_encrypted with its problem', async () => {
    const old = await sw(['seal', '--jwks', `${server.origin}/.well-known/sealwire/jwks.json`, '--target', '/api/echo', '--reply-out', 'stale.json', '--json'], { cwd: cwd(), now: () => Date.now() - 120_000 })
    expect(old.code).toBe(EXIT_OK)
    const r = await sw(['open', '--reply', 'stale.json'], { cwd: cwd(), stdin: await send(old.stdout) })
    expect(r.code).toBe(EXIT_FAILURE)
    expect(r.stderr).toContain('sealwire open: response_not_encrypted: the response is not sealed (HTTP 400 application/problem+json): the server answered stale_request')
    expect(r.stderr).toMatch(/hint: an envelope is accepted for 60 s after it is sealed \(the server's Date header is .* this clock\)/)
  })

  it('refuses a plain http:// JWK Set URL on a host other than loopback unless --insecure-http; loopback stays allowed', async () => {
    // A non-loopback host in the clear: refused before any request, naming the override.
    const refused = await sw(['seal', '--jwks', 'http://keys.sealwire.invalid', '--target', '/x'], { cwd: cwd() })
    expect(refused.code).toBe(EXIT_USAGE)
    expect(refused.stderr).toContain('refusing plain http:// for --jwks http://keys.sealwire.invalid/.well-known/sealwire/jwks.json')
    expect(refused.stderr).toContain('--insecure-http')
    expect(refused.stderr).not.toContain('key_discovery_failed')
    // With the override the CLI goes on to fetch (and here fails to resolve the host).
    const overridden = await sw(['seal', '--insecure-http', '--jwks', 'http://keys.sealwire.invalid', '--target', '/x'], { cwd: cwd() })
    expect(overridden.code).toBe(EXIT_FAILURE)
    expect(overridden.stderr).toContain('key_discovery_failed: http://keys.sealwire.invalid/')
    // Loopback over plain http (the test server) works without the flag, by name and by address.
    const byName = server.origin.replace('127.0.0.1', 'localhost')
    for (const origin of [server.origin, byName]) {
      const ok = await sw(['seal', '--jwks', origin, '--target', '/api/echo', '--data', '{}', '--json'], { cwd: cwd() })
      expect(ok.code, ok.stderr).toBe(EXIT_OK)
    }
    const help = await sw(['seal', '--help'], { cwd: cwd() })
    expect(help.stdout).toContain('--insecure-http')
    expect(help.stdout).toContain('@FILE, or @- (or -) for stdin')
  })

  it('refuses a JWK Set URL that does not answer one: key_discovery_failed, exit 1', async () => {
    const notFound = await sw(['seal', '--jwks', `${server.origin}/nope.json`, '--target', '/x'], { cwd: cwd() })
    expect(notFound.code).toBe(EXIT_FAILURE)
    expect(notFound.stderr).toContain(`key_discovery_failed: ${server.origin}/nope.json: HTTP 415`)
    const closed = await startSealwireServer(privateSet)
    await closed.close()
    const refused = await sw(['seal', '--jwks', closed.origin, '--target', '/x'], { cwd: cwd() })
    expect(refused.code).toBe(EXIT_FAILURE)
    expect(refused.stderr).toContain('key_discovery_failed')
    expect(refused.stderr).toContain('ECONNREFUSED')
  })
})
