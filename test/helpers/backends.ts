/**
 * The crypto backends core ships, for differential tests: the portable jose
 * (WebCrypto) reference and the Node-native fast path. Every suite that runs
 * over `BACKENDS` asks the same questions of both and expects the same answers.
 */
import { joseBackend, type CryptoBackend } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'

export const BACKENDS: readonly CryptoBackend[] = [joseBackend, nodeBackend as CryptoBackend]
