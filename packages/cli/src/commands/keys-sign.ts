import { parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { CliError, UsageError } from '../errors.js'
import { writeFile } from 'node:fs/promises'
import { readInputArg, readTextFile, resolvePath } from '../inputs.js'
import { parseKeySet } from '../key-set.js'
import type { JWK } from 'jose'
import { MAX_SIGNED_KEY_SET_SECONDS, rootThumbprint, signKeySet } from '../root-key.js'
import { looseModeWarning } from '../secret-file.js'

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `30d`, `12h`, `90m`, `3600s` (or bare seconds) → seconds, at most a year. */
export function parseLifetime(text: string): number {
  const m = /^(\d{1,8})([smhd]?)$/.exec(text.trim())
  if (m === null) throw new UsageError(`--expires must be a duration such as 30d, 12h or 3600s, got "${text}"`)
  const seconds = Number(m[1]) * UNITS[m[2] || 's']!
  if (seconds < 60 || seconds > MAX_SIGNED_KEY_SET_SECONDS) throw new UsageError('--expires must be between 1 minute and 366 days')
  return seconds
}

export const keysSign: Command = {
  path: ['keys', 'sign'],
  summary: 'sign the public JWK Set of a key set with the root key',
  help: `Usage: sealwire keys sign --root ROOT_FILE [--expires DURATION] [--out FILE] [FILE|-]

Signs the public JWK Set of a key set (private members are dropped; every kid
is checked to be its key's thumbprint) with the offline root key from
'sealwire keys root'. The result is a JWT (typ sealwire-jwks+jwt, ES256, the
root's public JWK in its header) that the server serves at
/.well-known/sealwire/jwks.jwt (createSealwireServer({ signedJwks })).
Clients pinned to the root accept it until it expires.

Sign again after every key rotation (list the new primary and every key
clients may still use), and before the set expires: an expired set is
refused by every client, and the servers then cannot be reached.

Reads the key set from FILE, or stdin when FILE is - or omitted.

Options:
  --root FILE          the private root key (required)
  --expires DURATION   validity: 7d (default), 12h, 90m, 3600s; at most 366d.
                       Short is safer: an older set stays usable by a man in
                       the middle until it expires, even after a rotation
  --out FILE           write the signed set to FILE (default: stdout); it is public
  -h, --help           show this help

Examples:
  sealwire keys sign --root root.jwk.json server.jwks.json > jwks.jwt
  sealwire keys sign --root root.jwk.json --expires 7d --out jwks.jwt server.jwks.json
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      () => parseArgs({ args: argv, options: { root: { type: 'string' }, expires: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true, strict: true }),
      { max: 1, names: 'FILE' },
    )
    if (values.root === undefined) throw new UsageError('--root FILE is required (make one with: sealwire keys root --out FILE)')
    const expiresInSeconds = values.expires === undefined ? 7 * 86_400 : parseLifetime(values.expires)
    let root: Record<string, unknown>
    try {
      root = JSON.parse(await readTextFile(io, values.root)) as Record<string, unknown>
    } catch (cause) {
      if (cause instanceof CliError) throw cause
      throw new CliError('invalid_keys', `${values.root} is not a JSON root key`, { cause })
    }
    if (root?.kty !== 'EC' || root.crv !== 'P-256' || typeof root.d !== 'string') {
      throw new CliError('invalid_keys', `${values.root} is not a private root key (EC P-256 with "d"): make one with 'sealwire keys root'`)
    }
    const file = positionals[0]
    const source = file === undefined || file === '-' ? 'stdin' : file
    const keys = parseKeySet(await readInputArg(io, file, 'key set', 'file'), source)
    let jwt: string
    try {
      jwt = await signKeySet(keys, root, { expiresInSeconds, clock: io.now })
    } catch (cause) {
      throw new CliError('invalid_keys', `${source}: ${(cause as Error).message}`, { cause })
    }
    const expires = new Date(Math.floor(io.now() / 1000) * 1000 + expiresInSeconds * 1000).toISOString()
    if (values.out === undefined) {
      io.stdout.write(`${jwt}\n`)
    } else {
      try {
        await writeFile(resolvePath(io, values.out), `${jwt}\n`, 'utf8')
      } catch (cause) {
        throw new CliError('io_error', `cannot write ${values.out}: ${(cause as Error).message}`, { cause })
      }
    }
    // The thumbprint computed from the key itself: clients pin that, whatever `kid` the file claims.
    const thumbprint = await rootThumbprint(root as JWK)
    io.stderr.write(`signed ${keys.length} key${keys.length === 1 ? '' : 's'} with root ${thumbprint}, valid until ${expires}\n`)
    const warning = await looseModeWarning(io, values.root)
    if (warning !== undefined) io.stderr.write(warning)
  },
}
