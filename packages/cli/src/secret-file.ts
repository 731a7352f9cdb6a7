import { open, stat, unlink } from 'node:fs/promises'
import { CliError } from './errors.js'
import { reason, resolvePath } from './inputs.js'
import type { CliIo } from './io.js'

export interface WriteSecretFileOptions {
  /** Replace an existing file. Without it an existing file is refused (`file_exists`). */
  overwrite: boolean
  /** Shown when the file exists and `overwrite` is false. */
  existsHint?: string
}

/**
 * Writes a secret (private keys, a response key) to a file only its owner can
 * read: created with `O_EXCL` and mode 0600, never opened with wider
 * permissions first. Replacing unlinks the old file and creates a new one, so
 * a file that was 0644 (or a symlink to somewhere else) is not written through.
 */
export async function writeSecretFile(io: CliIo, file: string, text: string, options: WriteSecretFileOptions): Promise<void> {
  const path = resolvePath(io, file)
  if (options.overwrite) {
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new CliError('io_error', `cannot replace ${file}: ${reason(error)}`, { cause: error })
    })
  }
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError('file_exists', `${file} already exists`, options.existsHint === undefined ? {} : { hint: options.existsHint })
    }
    throw new CliError('io_error', `cannot write ${file}: ${reason(error)}`, { cause: error })
  }
  try {
    // The umask can only narrow the mode; chmod states the intent whatever it is.
    await handle.chmod(0o600)
    await handle.writeFile(text, 'utf8')
  } catch (error) {
    throw new CliError('io_error', `cannot write ${file}: ${reason(error)}`, { cause: error })
  } finally {
    await handle.close()
  }
}

/**
 * A warning line when a file holding a private key is open to its group or to
 * others in any way (mode & 0o077; POSIX mode bits, none on Windows, where
 * modes do not say this): readable, it leaks the key; writable, someone else
 * can swap in a root of his own, and every set signed with it afterwards.
 * `keys root` and `keys generate --out` write 0600, and a copy or a checkout
 * can widen it. Undefined when the mode is private or unknown.
 */
export async function looseModeWarning(io: CliIo, file: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined
  const mode = await stat(resolvePath(io, file)).then((s) => s.mode & 0o777, () => undefined)
  if (mode === undefined || (mode & 0o077) === 0) return undefined
  const readable = (mode & 0o044) !== 0
  const writable = (mode & 0o022) !== 0
  const how = readable && writable ? 'readable and writable' : readable ? 'readable' : writable ? 'writable' : 'open'
  const who = (mode & 0o007) !== 0 ? 'others' : 'its group'
  // The name as given, made printable: it is echoed to a terminal.
  const name = file.replace(/[^\x20-\x7e]/g, '?')
  return `warning: ${name} holds a private key and is ${how} ${how === 'open' ? 'to' : 'by'} ${who} (mode 0${mode.toString(8)}): chmod 600 '${name.replace(/'/g, "'\\''")}'\n`
}
