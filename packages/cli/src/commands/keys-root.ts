import { parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { UsageError } from '../errors.js'
import { generateRootKey } from '../root-key.js'
import { writeSecretFile } from '../secret-file.js'

export const keysRoot: Command = {
  path: ['keys', 'root'],
  summary: 'generate an offline root key that signs key sets (ES256)',
  help: `Usage: sealwire keys root --out FILE [--force]

Generates a root signing key (ES256, EC P-256) for signed key sets
(docs/PROTOCOL.md §2.1). The PRIVATE key is written to FILE with mode 0600:
keep it offline (not on the servers); it only signs key sets, with
'sealwire keys sign'. On stdout: the root's public JWK and its RFC 7638
thumbprint, which clients pin:

  createClient({ baseUrl, jwksRoot: '<thumbprint>' })

Whoever holds the root key can make clients trust any encryption key: guard
it like a CA key. Losing it means shipping clients a new root.

Options:
  --out FILE   write the private root key to FILE, created with mode 0600 (required)
  --force      replace FILE if it already exists
  -h, --help   show this help

Examples:
  sealwire keys root --out root.jwk.json
  sealwire keys sign --root root.jwk.json server.jwks.json > jwks.jwt
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      () => parseArgs({ args: argv, options: { out: { type: 'string' }, force: { type: 'boolean' } }, allowPositionals: true, strict: true }),
      { max: 0, names: '' },
    )
    // Never to stdout: a root key in a terminal scrollback or a CI log is a root key lost.
    if (values.out === undefined) throw new UsageError('--out FILE is required: the root key is written only to a file with mode 0600')
    const root = await generateRootKey()
    await writeSecretFile(io, values.out, `${JSON.stringify(root.privateJwk, null, 2)}\n`, { overwrite: values.force === true, existsHint: 'pass --force to replace it (clients pinned to it then refuse every new set)' })
    io.stderr.write(`wrote the private root key to ${values.out} (mode 0600): keep it offline\n`)
    io.stdout.write(`${JSON.stringify({ thumbprint: root.thumbprint, publicJwk: root.publicJwk }, null, 2)}\n`)
  },
}
