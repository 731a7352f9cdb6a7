import { isSealwireError, type PayloadIssue } from '@sealwire/core'

/**
 * The CLI's two failure kinds, mapped to exit codes in `main.ts`:
 * - `UsageError` (exit 2): the command line itself is wrong; one line plus the usage hint.
 * - `CliError` (exit 1): the input is wrong or the operation failed; a stable `code`
 *   (a core `SealwireError` code where one applies, else one of `CLI_ERROR_CODES`) and
 *   a message that never carries key material or plaintext.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Codes the CLI raises itself, beside core's `SealwireError` codes. */
export const CLI_ERROR_CODES = ['invalid_keys', 'invalid_reply', 'file_exists', 'io_error', 'empty_input'] as const
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number]

export interface CliErrorOptions {
  /** A second line that tells the user what to try. */
  hint?: string
  issues?: readonly PayloadIssue[]
  cause?: unknown
}

export class CliError extends Error {
  override readonly name = 'CliError'
  readonly code: string
  readonly hint: string | undefined
  readonly issues: readonly PayloadIssue[] | undefined

  constructor(code: string, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint
    this.issues = options.issues
  }
}

/** A core `SealwireError` as a `CliError` with the same code and message, plus a hint for the user. */
export function explain(error: unknown, hint?: (code: string) => string | undefined): unknown {
  if (!isSealwireError(error)) return error
  const h = hint?.(error.code)
  return new CliError(error.code, error.message, { ...(h === undefined ? {} : { hint: h }), ...(error.issues === undefined ? {} : { issues: error.issues }), cause: error })
}
