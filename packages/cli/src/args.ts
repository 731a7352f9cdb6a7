import { parseArgs } from 'node:util'
import { UsageError } from './errors.js'

/**
 * Runs a `node:util` `parseArgs` call (strict: unknown options are errors),
 * turning its errors into `UsageError` (exit 2) with the first sentence of
 * Node's message, and checks the number of positionals.
 *
 * @example
 * const { values } = parseCommandArgs(() => parseArgs({ args: argv, options: { out: { type: 'string' } }, strict: true, allowPositionals: true }), { max: 0, names: '' })
 */
export function parseCommandArgs<T extends { positionals: string[] }>(parse: () => T, positionals: { max: number; names: string }): T {
  let parsed: T
  try {
    parsed = parse()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // A kid is base64url and may begin with "-": parseArgs then takes it for an option.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message)
    throw new UsageError(ambiguous === null ? firstSentence(message) : `${ambiguous[1]} got a value starting with "-": write it as ${ambiguous[1]}=VALUE`)
  }
  if (parsed.positionals.length > positionals.max) {
    const extra = parsed.positionals.slice(positionals.max).map((p) => (p.length > 24 ? `${p.slice(0, 24)}…` : p))
    throw new UsageError(positionals.max === 0 ? `unexpected argument: ${extra.join(' ')}` : `too many arguments (expected ${positionals.names}): ${extra.join(' ')}`)
  }
  return parsed
}

export { parseArgs }

function firstSentence(message: string): string {
  const end = message.search(/\.\s/)
  return (end === -1 ? message : message.slice(0, end)).replace(/\.$/, '')
}

/** True when `--help` or `-h` appears before a `--` terminator. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

/** A non-negative integer option (seconds, HTTP status). */
export function integerOption(value: string | undefined, name: string, range: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got "${value}"`)
  const n = Number(value)
  if (n < range.min || n > range.max) throw new UsageError(`--${name} must be between ${range.min} and ${range.max}, got ${n}`)
  return n
}
