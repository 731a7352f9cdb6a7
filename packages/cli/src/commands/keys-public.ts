import { parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { readInputArg } from '../inputs.js'
import { importPublicKeys, parseKeySet } from '../key-set.js'

export const keysPublic: Command = {
  path: ['keys', 'public'],
  summary: 'print the public JWK Set of a key set',
  help: `Usage: sealwire keys public [FILE|-]

Prints the public JWK Set of a key set: private members stripped, every kid
checked to be the key's RFC 7638 thumbprint, use "enc", alg "ECDH-ES". This is
the document a server serves at /.well-known/sealwire/jwks.json, and what
clients (and 'sealwire seal --jwks') seal to.

Reads FILE, or stdin when FILE is - or omitted. A public set is accepted too
(and normalized).

Options:
  -h, --help   show this help

Examples:
  sealwire keys public server.jwks.json > public.jwks.json
  sealwire keys generate | sealwire keys public
`,
  async run(argv, io) {
    const { positionals } = parseCommandArgs(
      () => parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true }),
      { max: 1, names: 'FILE' },
    )
    const file = positionals[0]
    const source = file === undefined || file === '-' ? 'stdin' : file
    const keys = await importPublicKeys(parseKeySet(await readInputArg(io, file, 'key set', 'file'), source), source)
    io.stdout.write(`${JSON.stringify({ keys }, null, 2)}\n`)
  },
}
