import { CURVES, generateKeyPair, type Curve, type PrivateJwk } from '@sealwire/core'
import { parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { UsageError } from '../errors.js'
import { writeSecretFile } from '../secret-file.js'

/** P-256 first: the first key is the primary, and every client can use P-256 (docs/PROTOCOL.md §2). */
const DEFAULT_CURVES: readonly Curve[] = ['P-256', 'X25519']

export const keysGenerate: Command = {
  path: ['keys', 'generate'],
  summary: "generate a server's private key set (default: P-256 + X25519)",
  help: `Usage: sealwire keys generate [--curve P-256|X25519]... [--out FILE [--force]]

Generates a server's private key set: a JWK Set {"keys":[...]} whose kids are
RFC 7638 thumbprints, use "enc", alg "ECDH-ES". By default one P-256 and one
X25519 key, like the reference server; P-256 comes first and is the primary.

Options:
  --curve CURVE   P-256 or X25519; repeat for both (default: both)
  --out FILE      write the set to FILE, created with mode 0600
  --force         replace FILE if it already exists
  -h, --help      show this help

Without --out the PRIVATE set goes to stdout, with a warning on stderr: it is
the server's secret. Anyone holding it can read every request sealed to it.

Examples:
  sealwire keys generate --out server.jwks.json
  sealwire keys generate --curve X25519 --out x25519.jwks.json
  sealwire keys public server.jwks.json > public.jwks.json
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      () => parseArgs({ args: argv, options: { curve: { type: 'string', multiple: true }, out: { type: 'string' }, force: { type: 'boolean' } }, allowPositionals: true, strict: true }),
      { max: 0, names: '' },
    )
    if (values.force === true && values.out === undefined) throw new UsageError('--force only applies with --out FILE')
    const curves = values.curve === undefined ? DEFAULT_CURVES : [...new Set(values.curve.map(parseCurve))]
    const keys: PrivateJwk[] = []
    for (const curve of curves) keys.push((await generateKeyPair(curve)).privateJwk)
    const text = `${JSON.stringify({ keys }, null, 2)}\n`
    const summary = keys.map((k) => `${k.crv} ${k.kid}`).join(', ')
    if (values.out === undefined) {
      io.stderr.write('warning: this is a PRIVATE key set: keep it secret (--out FILE writes it with mode 0600)\n')
      io.stdout.write(text)
      return
    }
    await writeSecretFile(io, values.out, text, { overwrite: values.force === true, existsHint: 'pass --force to replace it (its keys are then lost)' })
    io.stderr.write(`wrote ${keys.length} private key${keys.length === 1 ? '' : 's'} to ${values.out} (mode 0600): ${summary}\n`)
  },
}

export function parseCurve(value: string): Curve {
  const curve = CURVES.find((c) => c.toLowerCase() === value.toLowerCase())
  if (curve === undefined) throw new UsageError(`--curve must be one of ${CURVES.join(', ')}, got "${value}"`)
  return curve
}
