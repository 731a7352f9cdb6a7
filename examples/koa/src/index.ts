/** The Koa example, exported for its test. */
export { createKoaApp } from './app.js'
export type { KoaExampleOptions } from './app.js'
export { startKoaExample } from './server.js'
export type { RunningKoaExample } from './server.js'
export { Transfer } from './transfer.js'
