import { isSealwireError } from '@sealwire/core'
import pkg from '../package.json' with { type: 'json' }
import { wantsHelp } from './args.js'
import type { Command } from './command.js'
import { inspect } from './commands/inspect.js'
import { keysGenerate } from './commands/keys-generate.js'
import { keysPublic } from './commands/keys-public.js'
import { keysRotate } from './commands/keys-rotate.js'
import { keysRoot } from './commands/keys-root.js'
import { keysSign } from './commands/keys-sign.js'
import { open } from './commands/open.js'
import { seal } from './commands/seal.js'
import { CliError, UsageError } from './errors.js'
import { processIo, type CliIo } from './io.js'

/** Exit statuses: stable, documented in --help and the README. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export const VERSION: string = pkg.version

const COMMANDS: readonly Command[] = [keysGenerate, keysPublic, keysRotate, keysRoot, keysSign, inspect, seal, open]

const GROUPS: Record<string, string> = {
  keys: `Usage: sealwire keys <generate|public|rotate|root|sign> [options]

Commands:
${list(COMMANDS.filter((c) => c.path[0] === 'keys'))}

Run 'sealwire keys <command> --help' for its options.
`,
}

const MAIN_HELP = `sealwire ${VERSION}: keys, envelopes and curl debugging for Sealwire (wire protocol v1)

Usage: sealwire <command> [options]

Commands:
${list(COMMANDS)}

Options:
  -h, --help      show help (also: sealwire <command> --help, sealwire help <command>)
  --version       print the version

Exit status: 0 success; 1 the input or the operation failed (bad envelope,
keys, file, network), with the error code; 2 usage error.
SEALWIRE_DEBUG=1 prints the stack trace of a failure.

A debugging session against a server:
  sealwire seal --jwks https://localhost:8443 -k --target /api/echo \\
    --data '{"hello":"world"}' --reply-out reply.json --curl https://localhost:8443 > send.sh
  sh send.sh | sealwire open --reply reply.json
`

function list(commands: readonly Command[]): string {
  const names = commands.map((c) => c.path.join(' '))
  const width = Math.max(...names.map((n) => n.length))
  return commands.map((c, i) => `  ${names[i]!.padEnd(width)}   ${c.summary}`).join('\n')
}

/**
 * Runs one `sealwire` command line and resolves with its exit status; never
 * throws and never exits the process, so tests and programs can call it
 * in-process with their own streams (`io`).
 *
 * @example
 * const out: string[] = []
 * const status = await run(['keys', 'generate', '--curve', 'X25519'], { stdout: { write: (s) => out.push(s) } })
 */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { ...processIo(), ...io }
  const [first, second] = argv
  if (first === undefined) {
    full.stderr.write(`${MAIN_HELP}`)
    return EXIT_USAGE
  }
  if (first === '--version' || first === '-V') {
    full.stdout.write(`${VERSION}\n`)
    return EXIT_OK
  }
  if (first === '--help' || first === '-h') {
    full.stdout.write(MAIN_HELP)
    return EXIT_OK
  }
  if (first === 'help') return help(argv.slice(1), full)

  const command = COMMANDS.find((c) => c.path.length === 1 ? c.path[0] === first : c.path[0] === first && c.path[1] === second)
  if (command === undefined) {
    const group = GROUPS[first]
    if (group !== undefined) {
      if (second === undefined || second === '--help' || second === '-h') {
        ;(second === undefined ? full.stderr : full.stdout).write(group)
        return second === undefined ? EXIT_USAGE : EXIT_OK
      }
      return usage(full, first, `unknown command "${first} ${second}"`)
    }
    return usage(full, undefined, `unknown command "${first}"`)
  }
  const rest = argv.slice(command.path.length)
  const name = command.path.join(' ')
  if (wantsHelp(rest)) {
    full.stdout.write(command.help)
    return EXIT_OK
  }
  try {
    await command.run(rest, full)
    return EXIT_OK
  } catch (error) {
    if (error instanceof UsageError) return usage(full, name, error.message)
    return failure(full, name, error)
  }
}

function help(words: readonly string[], io: CliIo): number {
  if (words.length === 0) {
    io.stdout.write(MAIN_HELP)
    return EXIT_OK
  }
  const command = COMMANDS.find((c) => c.path.join(' ') === words.join(' '))
  const text = command?.help ?? (words.length === 1 ? GROUPS[words[0]!] : undefined)
  if (text === undefined) return usage(io, undefined, `unknown command "${words.join(' ')}"`)
  io.stdout.write(text)
  return EXIT_OK
}

function usage(io: CliIo, command: string | undefined, message: string): number {
  const prefix = command === undefined ? 'sealwire' : `sealwire ${command}`
  io.stderr.write(`${prefix}: ${message}\nRun '${prefix} --help' for usage.\n`)
  return EXIT_USAGE
}

/**
 * One line with the stable code and the safe message, then the payload issues
 * and a hint. Core's messages are public by design (never keys or plaintext);
 * the internal `cause` and the stack are printed only with SEALWIRE_DEBUG=1.
 */
function failure(io: CliIo, command: string, error: unknown): number {
  const prefix = `sealwire ${command}`
  const debug = io.env.SEALWIRE_DEBUG === '1'
  if (error instanceof CliError || isSealwireError(error)) {
    const lines = [`${prefix}: ${error.code}: ${error.message}`]
    for (const issue of error.issues ?? []) lines.push(`  - ${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`)
    if (error instanceof CliError && error.hint !== undefined) lines.push(`  hint: ${error.hint}`)
    io.stderr.write(`${lines.join('\n')}\n`)
  } else {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`${prefix}: internal error: ${message}\n${debug ? '' : '  (SEALWIRE_DEBUG=1 prints the stack trace)\n'}`)
  }
  if (debug) io.stderr.write(`${stackOf(error)}\n`)
  return EXIT_FAILURE
}

function stackOf(error: unknown): string {
  const out: string[] = []
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(`${depth === 0 ? '' : 'caused by: '}${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    if (!(e instanceof Error)) break
  }
  return out.join('\n')
}
