import { platform } from '#platform'
import type { CryptoBackend } from './backend.js'

/**
 * The backend this runtime uses when none is named: node:crypto on Node, Bun
 * and Deno (the `@sealwire/core/node` backend, several times faster on Node,
 * faster on Bun and Deno for X25519 and responses), jose over WebCrypto
 * everywhere else. Chosen by the package's `node`, `bun` and `deno` conditions
 * (`browser` first), so browser and Workers bundles never contain the Node one.
 *
 * @example
 * import { defaultBackend } from '@sealwire/core'
 * console.log(defaultBackend.name) // 'node' on Node, Bun and Deno; 'jose' in a browser
 */
export const defaultBackend: CryptoBackend = platform.backend
