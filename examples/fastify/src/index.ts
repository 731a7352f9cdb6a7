/** The Fastify example, exported for its test. */
export { createFastifyApp } from './app.js'
export type { FastifyExampleOptions } from './app.js'
export { selfSignedCertificate } from './certificate.js'
export { startFastifyExample } from './server.js'
export type { RunningFastifyExample } from './server.js'
export { Transfer } from './transfer.js'
