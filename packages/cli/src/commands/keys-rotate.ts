import { rename, unlink } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { KeyRing, generateKeyPair, type Curve } from '@sealwire/core'
import { parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { CliError, UsageError } from '../errors.js'
import { readTextFile, reason, resolvePath } from '../inputs.js'
import type { CliIo } from '../io.js'
import { importPrivateKeys, parseKeySet } from '../key-set.js'
import { writeSecretFile } from '../secret-file.js'
import { parseCurve } from './keys-generate.js'

export const keysRotate: Command = {
  path: ['keys', 'rotate'],
  summary: 'add a new primary key to a private key set and retire the old ones',
  help: `Usage: sealwire keys rotate FILE [--curve P-256|X25519]... [--drop-retired]

Rotates a server's private key set in place: one new key per curve (by
default the curves the set advertises now), the new P-256 key (or the first
new key) primary, and every key advertised until now marked "retired": true.
A retired key still opens requests sealed to it but is no longer in the
public JWK Set. The file is replaced atomically, with mode 0600.

Keep a retired key while clients may still seal to it: at least the JWK Set's
max-age (server option jwksMaxAgeSeconds, default 300 s) plus the request
maxAge (maxAgeSeconds, default 60 s), counted from the moment every server
instance has loaded the rotated file. Then drop it: the next rotation with
--drop-retired, or now with --drop-retired alone on a set rotated earlier.

Options:
  --curve CURVE    P-256 or X25519; repeat for both (default: the advertised curves)
  --drop-retired   first forget the keys retired by an earlier rotation
  -h, --help       show this help

Examples:
  sealwire keys rotate server.jwks.json
  sealwire keys rotate server.jwks.json --drop-retired
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      () => parseArgs({ args: argv, options: { curve: { type: 'string', multiple: true }, 'drop-retired': { type: 'boolean' } }, allowPositionals: true, strict: true }),
      { max: 1, names: 'FILE' },
    )
    const file = positionals[0]
    if (file === undefined) throw new UsageError('the key set FILE to rotate is required')
    const raw = parseKeySet(await readTextFile(io, file), file)
    await importPrivateKeys(raw, file) // every key private and well formed, named by index on failure
    let ring: KeyRing
    try {
      ring = await KeyRing.from(raw)
    } catch (error) {
      throw new CliError('invalid_keys', `${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
    const before = ring.privateJwks().keys
    if (values['drop-retired'] === true) for (const key of before) if (key.retired === true) ring.remove(key.kid)
    const advertised = before.filter((k) => k.retired !== true)
    const curves: Curve[] = values.curve === undefined ? orderedCurves(advertised.map((k) => k.crv)) : [...new Set(values.curve.map(parseCurve))]

    const added: { crv: Curve; kid: string }[] = []
    for (const curve of curves) {
      const { privateJwk } = await generateKeyPair(curve)
      added.push({ crv: curve, kid: await ring.add(privateJwk) })
    }
    const primary = added.find((k) => k.crv === 'P-256') ?? added[0]!
    ring.setPrimary(primary.kid)
    for (const key of advertised) ring.retire(key.kid)

    await replaceSecretFile(io, file, `${JSON.stringify(ring.privateJwks(), null, 2)}\n`)
    const dropped = values['drop-retired'] === true ? before.filter((k) => k.retired === true).length : 0
    io.stderr.write(
      `rotated ${file} (mode 0600): new ${added.map((k) => `${k.crv} ${k.kid}`).join(', ')} (primary ${primary.kid}); ` +
        `retired ${advertised.map((k) => k.kid).join(', ')}` +
        (dropped > 0 ? `; dropped ${dropped} key${dropped === 1 ? '' : 's'} retired earlier` : '') +
        '\nReload every server instance, then keep the retired keys at least jwksMaxAgeSeconds + maxAgeSeconds (default 300 + 60 s) before --drop-retired.\n',
    )
  },
}

/** P-256 first (every client can use it), then X25519; a set that had neither gets both. */
function orderedCurves(present: readonly Curve[]): Curve[] {
  const curves = (['P-256', 'X25519'] as const).filter((c) => present.includes(c))
  return curves.length > 0 ? curves : ['P-256', 'X25519']
}

/**
 * Writes the new set beside the old one (0600, O_EXCL) and renames it over:
 * a crash leaves the old set or the new one, never none (unlike unlink then create).
 */
async function replaceSecretFile(io: CliIo, file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  await writeSecretFile(io, temp, text, { overwrite: false })
  try {
    await rename(resolvePath(io, temp), resolvePath(io, file))
  } catch (error) {
    await unlink(resolvePath(io, temp)).catch(() => {})
    throw new CliError('io_error', `cannot replace ${file}: ${reason(error)}`, { cause: error })
  }
}
