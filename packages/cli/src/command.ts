import type { CliIo } from './io.js'

/** One `sealwire` command: its words, one-line summary, `--help` text and action. */
export interface Command {
  /** The words that name it: `['seal']`, `['keys', 'generate']`. */
  readonly path: readonly string[]
  readonly summary: string
  /** Full `--help` text, starting with its Usage line. */
  readonly help: string
  /** Throws `UsageError` (exit 2) or `CliError`/`SealwireError` (exit 1); returns normally on success. */
  run(argv: readonly string[], io: CliIo): Promise<void>
}
