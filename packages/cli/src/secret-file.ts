import { open, unlink } from 'node:fs/promises'
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
