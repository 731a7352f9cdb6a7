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
(and normalized). Keys marked "retired": true (by 'sealwire keys rotate') are
left out, as a server leaves them out of what it advertises: a client must not
seal to a key on its way out.

Options:
  --include-retired   print retired keys too (marked "retired": true)
  -h, --help          show this help

Examples:
  sealwire keys public server.jwks.json > public.jwks.json
  sealwire keys generate | sealwire keys public
`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs(
      () => parseArgs({ args: argv, options: { 'include-retired': { type: 'boolean' } }, allowPositionals: true, strict: true }),
      { max: 1, names: 'FILE' },
    )
    const file = positionals[0]
    const source = file === undefined || file === '-' ? 'stdin' : file
    const members = parseKeySet(await readInputArg(io, file, 'key set', 'file'), source)
    const publicKeys = await importPublicKeys(members, source)
    const keys = publicKeys.flatMap((key, i) => {
      if (!isRetired(members[i])) return [key]
      return values['include-retired'] === true ? [{ ...key, retired: true }] : []
    })
    io.stdout.write(`${JSON.stringify({ keys }, null, 2)}\n`)
  },
}

const isRetired = (member: unknown): boolean => typeof member === 'object' && member !== null && (member as { retired?: unknown }).retired === true
