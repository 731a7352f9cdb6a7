/**
 * Everything the CLI touches outside its arguments, injectable so that tests
 * (and programs embedding the CLI) drive `run` in-process with their own
 * streams, environment, working directory and clock.
 */
export interface CliIo {
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown }
  /** Read only when a command is given `-` (or no input argument and a non-TTY stdin). */
  stdin: AsyncIterable<Uint8Array | string> & { isTTY?: boolean }
  env: Readonly<Record<string, string | undefined>>
  /** Directory relative file arguments resolve against. */
  cwd: string
  /** Milliseconds since the epoch; `inspect` measures the age of `iat` against it. */
  now: () => number
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
  }
}
