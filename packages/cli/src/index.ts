/**
 * @sealwire/cli: the `sealwire` command. `run(argv, io)` runs one command
 * line in-process, for tests and for programs that embed the CLI.
 */
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, VERSION, run } from './main.js'
export type { CliIo } from './io.js'
export { CLI_ERROR_CODES } from './errors.js'
export type { CliErrorCode } from './errors.js'
export { MAX_SIGNED_KEY_SET_SECONDS, generateRootKey, rootThumbprint, signKeySet } from './root-key.js'
export type { RootKeyPair, SignKeySetOptions } from './root-key.js'
