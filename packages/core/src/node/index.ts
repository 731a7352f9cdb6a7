/**
 * `@sealwire/core/node` — the Node-native crypto backend on its own. Node,
 * Bun and Deno already use it by default (core's `node`, `bun` and `deno`
 * conditions); import it to name it explicitly, or to compare it with
 * `joseBackend`.
 */
export { nodeBackend } from './node-backend.js'
export type { NodePrivateKey, NodePublicKey } from './node-backend.js'
