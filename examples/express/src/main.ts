// `pnpm serve:example`: the reference app in the foreground, for people and for
// outside tools. Configuration by environment:
//   PORT                    TCP port (default 8443; 0 picks a free one)
//   HOST                    interface to bind (default 127.0.0.1)
//   SEALWIRE_PRIVATE_JWKS   the private JWK Set; otherwise keys persist in .sealwire/private-jwks.json
//   SEALWIRE_KEYS_FILE      where generated keys persist (default examples/express/.sealwire/private-jwks.json)
//   SEALWIRE_CERT_FILE      where this run's certificate (public, PEM) is written for clients to pin
//                           (default examples/express/.sealwire/tls-cert.pem)
import { rename, writeFile } from 'node:fs/promises'
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KeyRing } from '@sealwire/server'
import { loadKeys, type KeySource } from './keys.js'
import { startExampleServer } from './server.js'

/** What a parent process (the demo) receives over IPC once the server listens. */
export interface ListeningMessage {
  type: 'listening'
  url: string
  /** The certificate, PEM: the parent pins it. */
  cert: string
  fingerprint: string
}

const packageDir = fileURLToPath(new URL('..', import.meta.url))
// pnpm runs us in examples/express; paths are shown relative to where the command was typed.
const shown = (path: string) => {
  const rel = relative(process.env.INIT_CWD || process.cwd(), path)
  return rel.startsWith('..') ? path : rel
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8443
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`PORT must be an integer from 0 to 65535, got "${value}"`)
  return port
}

function describeKeys(source: KeySource): string {
  if (source.from === 'env') return 'from SEALWIRE_PRIVATE_JWKS'
  return source.created ? `generated now, saved to ${shown(source.path)} (mode 600)` : `loaded from ${shown(source.path)}`
}

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT)
  const host = process.env.HOST || '127.0.0.1'
  const keysFile = resolve(process.env.SEALWIRE_KEYS_FILE || `${packageDir}/.sealwire/private-jwks.json`)
  const certFile = resolve(process.env.SEALWIRE_CERT_FILE || `${packageDir}/.sealwire/tls-cert.pem`)

  const { jwks, source } = await loadKeys({ file: keysFile })
  const keys = await KeyRing.from(jwks)

  const running = await startExampleServer({
    port,
    host,
    keys,
    onEvent: (event) => {
      // Refusals only: what was refused and why; never a body, never a key. The route is
      // a template once Express has routed, `*` before (the request line is logged beside it).
      if (event.type === 'rejected') console.log(`  refused${event.route === '*' ? '' : ` ${event.route}`}: ${event.code}`)
    },
    log: (line) => console.log(`  ${line}`),
  })

  // The certificate is public; written whole then renamed, so a reader never sees half of it.
  const temporary = `${certFile}.${process.pid}.tmp`
  await writeFile(temporary, running.certificate.cert)
  await rename(temporary, certFile)

  const kids = keys.publicJwks().keys.map((k) => `${k.crv} ${k.kid.slice(0, 12)}…`).join(', ')
  console.log(`Sealwire example (Express) listening on ${running.url}`)
  console.log(`  keys         ${kids} — ${describeKeys(source)}`)
  console.log(`  certificate  self-signed for this run, SHA-256 ${running.certificate.fingerprint}`)
  console.log(`               PEM in ${shown(certFile)}: pin it, e.g. curl --cacert ${shown(certFile)} ${running.url}/.well-known/sealwire/jwks.json`)
  console.log(`  page         ${running.url}/ (your browser will ask you to accept the self-signed certificate)`)
  console.log('  Ctrl-C stops it.')

  const message: ListeningMessage = { type: 'listening', url: running.url, cert: running.certificate.cert, fingerprint: running.certificate.fingerprint }
  process.send?.(message)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping`)
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGHUP', () => stop('SIGHUP'))
  // The demo's parent went away: do not outlive it.
  process.on('disconnect', () => stop('parent gone'))
}

main().catch((err: unknown) => {
  console.error(`Could not start the example: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
