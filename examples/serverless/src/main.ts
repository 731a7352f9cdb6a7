// `pnpm start`: the Fetch handler served by node:http on http://127.0.0.1:8787
// (PORT to change it): local development, loopback only. Keys:
// SEALWIRE_PRIVATE_JWKS, or a fresh pair for this run.
import { createFetchHandler } from './fetch-handler.js'
import { serveFetch } from './node-server.js'

const port = process.env.PORT ? Number(process.env.PORT) : 8787
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer from 0 to 65535, got "${process.env.PORT}"`)
  process.exit(1)
}
const keys = process.env.SEALWIRE_PRIVATE_JWKS ? (JSON.parse(process.env.SEALWIRE_PRIVATE_JWKS) as { keys: unknown[] }) : undefined
const handler = await createFetchHandler({ allowInsecureLoopback: true, singleInstance: true, ...(keys === undefined ? {} : { keys }) })
const running = await serveFetch(handler, { port })
console.log(`Sealwire Fetch-handler example listening on ${running.url} (node:http, loopback only${keys === undefined ? '; keys generated for this run' : ''})`)
console.log(`  try: curl ${running.url}/.well-known/sealwire/jwks.json`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => running.close().then(() => process.exit(0)))
