// `pnpm start`: the Koa example on http://127.0.0.1:3000 (PORT to change it).
// Keys: SEALWIRE_PRIVATE_JWKS (a private JWK Set), or a fresh pair for this run.
import { startKoaExample } from './server.js'

const port = process.env.PORT ? Number(process.env.PORT) : 3000
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer from 0 to 65535, got "${process.env.PORT}"`)
  process.exit(1)
}
const keys = process.env.SEALWIRE_PRIVATE_JWKS ? (JSON.parse(process.env.SEALWIRE_PRIVATE_JWKS) as { keys: unknown[] }) : undefined
const running = await startKoaExample({ port, ...(keys === undefined ? {} : { keys }) })
console.log(`Sealwire Koa example listening on ${running.url} (loopback only${keys === undefined ? '; keys generated for this run' : ''})`)
console.log(`  try: curl ${running.url}/.well-known/sealwire/jwks.json`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => running.close().then(() => process.exit(0)))
