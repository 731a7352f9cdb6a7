import { platform } from '#platform'
import type { CryptoBackend } from './backend.js'

/**
 * The backend this runtime uses when none is named: node:crypto on Node (the
 * `@sealwire/core/node` backend, several times faster there), jose over
 * WebCrypto everywhere else. Chosen by the package's `node` condition, so
 * browser and Workers bundles never contain the Node one.
 *
 * @example
 * import { defaultBackend } from '@sealwire/core'
 * console.log(defaultBackend.name) // 'node' on Node, 'jose' in a browser
 */
export const defaultBackend: CryptoBackend = platform.backend
