// `pnpm start`: the Fastify example on https://127.0.0.1:8444 (PORT to change it),
// with a self-signed certificate made now and written to .sealwire/tls-cert.pem
// for clients to pin. Keys: SEALWIRE_PRIVATE_JWKS, or a fresh pair for this run.
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { startFastifyExample } from './server.js'

const port = process.env.PORT ? Number(process.env.PORT) : 8444
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer from 0 to 65535, got "${process.env.PORT}"`)
  process.exit(1)
}
const keys = process.env.SEALWIRE_PRIVATE_JWKS ? (JSON.parse(process.env.SEALWIRE_PRIVATE_JWKS) as { keys: unknown[] }) : undefined
const running = await startFastifyExample({ port, ...(keys === undefined ? {} : { keys }) })
const certDir = fileURLToPath(new URL('../.sealwire/', import.meta.url))
await mkdir(certDir, { recursive: true, mode: 0o700 })
await writeFile(`${certDir}tls-cert.pem`, running.cert)
console.log(`Sealwire Fastify example listening on ${running.url}${keys === undefined ? ' (keys generated for this run)' : ''}`)
console.log(`  try: curl --cacert examples/fastify/.sealwire/tls-cert.pem ${running.url}/.well-known/sealwire/jwks.json`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => running.close().then(() => process.exit(0)))
