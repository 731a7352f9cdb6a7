/**
 * The reference Sealwire app (Express over HTTPS), exported for tests and for
 * the demo: `createExampleApp` builds the Express app, `startExampleServer`
 * serves it with a self-signed certificate.
 */
export { createExampleApp } from './app.js'
export type { ExampleAppOptions } from './app.js'
export { createCertificate } from './certificate.js'
export type { Certificate } from './certificate.js'
export { generateKeySet, loadKeys } from './keys.js'
export type { KeySource, LoadKeysOptions, LoadedKeys, PrivateJwkSet } from './keys.js'
export { pinnedFetch } from './pinned-fetch.js'
export { startExampleServer } from './server.js'
export type { RunningExample, StartOptions } from './server.js'
export { Transfer } from './transfer.js'
