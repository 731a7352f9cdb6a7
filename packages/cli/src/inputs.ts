import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { CliError, UsageError } from './errors.js'
import type { CliIo } from './io.js'

/**
 * Input caps. An envelope is at most the server's 1 MiB body cap; a `curl -i`
 * dump adds headers. Key and reply files are a few hundred bytes each.
 */
export const MAX_INPUT_BYTES = 2 * 1024 * 1024
export const MAX_SMALL_FILE_BYTES = 256 * 1024

export function resolvePath(io: CliIo, file: string): string {
  return isAbsolute(file) ? file : resolve(io.cwd, file)
}

/** A file's text, with I/O failures as `io_error` (exit 1) naming the file and the reason, never a stack. */
export async function readTextFile(io: CliIo, file: string, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(resolvePath(io, file))
  } catch (error) {
    throw new CliError('io_error', `cannot read ${file}: ${reason(error)}`, { cause: error })
  }
  if (bytes.length > maxBytes) throw new CliError('io_error', `${file} is larger than ${maxBytes} bytes`)
  return bytes.toString('utf8')
}

/** All of stdin as text, refused past `maxBytes` rather than buffered without bound. */
export async function readStdin(io: CliIo, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
    size += buf.length
    if (size > maxBytes) throw new CliError('io_error', `stdin is larger than ${maxBytes} bytes`)
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * An input given as a positional argument: `-` reads stdin, `@FILE` reads a
 * file, anything else is the value itself (`literal`) or a file name. No
 * argument reads stdin when it is piped; on a terminal that would wait
 * forever, so it is a usage error instead.
 */
export async function readInputArg(io: CliIo, arg: string | undefined, what: string, mode: 'literal' | 'file'): Promise<string> {
  if (arg === undefined && io.stdin.isTTY === true) throw new UsageError(`missing ${what}: pass it as an argument, or pipe it with -`)
  const fromFile = mode === 'file' ? arg : arg?.startsWith('@') === true ? arg.slice(1) : undefined
  const text = arg === undefined || arg === '-' ? await readStdin(io) : fromFile !== undefined ? await readTextFile(io, fromFile, mode === 'file' ? MAX_SMALL_FILE_BYTES : MAX_INPUT_BYTES) : arg
  // Said here, where the source is known: parsed further, nothing would be taken for what the server sent.
  if (mode === 'literal' && text.trim() === '') {
    const source = arg === undefined || arg === '-' ? 'stdin' : fromFile ?? 'the command line'
    throw new CliError('empty_input', `the ${what} on ${source} is empty`, {
      hint: `pass the ${what} as an argument or as @FILE, or pipe it on stdin; when piping curl, check that curl itself succeeded (curl -sS prints its errors)`,
    })
  }
  return text
}

export function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  switch (code) {
    case 'ENOENT':
      return 'no such file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    case 'EEXIST':
      return 'file exists'
    default:
      return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
  }
}
