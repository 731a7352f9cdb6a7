/** The serverless example, exported for its tests: a Fetch handler, its node:http server, a Lambda handler. */
export { createFetchHandler, defaultKeys } from './fetch-handler.js'
export type { FetchHandler, ServerlessExampleOptions } from './fetch-handler.js'
export { serveFetch } from './node-server.js'
export type { ServedFetch } from './node-server.js'
export { createLambdaHandler } from './lambda.js'
export type { LambdaExampleOptions, LambdaHandler } from './lambda.js'
export { eventFromRequest, lambdaFetch, responseFromResult } from './lambda-fetch.js'
export { Transfer } from './transfer.js'
