import type { RequestListener } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createExampleApp, type ExampleAppOptions } from './app.js'
import { createCertificate, type Certificate } from './certificate.js'

/** Options of `startExampleServer`: the app's, plus where to listen. */
export interface StartOptions extends ExampleAppOptions {
  /** TCP port; 0 picks a free one. Default 8443. */
  port?: number
  /** Interface to bind. Default 127.0.0.1: this example is for one machine. */
  host?: string
  /** A certificate to serve; default: a self-signed one made now for `host`. */
  certificate?: Certificate
  /** Receives one line per answered request: method, path, status, media type. Never a body. */
  log?: (line: string) => void
}

export interface RunningExample {
  /** `https://127.0.0.1:8443`: the origin to give clients. */
  url: string
  port: number
  /** The self-signed certificate: clients pin it (`ca: certificate.cert`). */
  certificate: Certificate
  server: Server
  /** Stops accepting, ends open connections, resolves when closed. */
  close(): Promise<void>
}

/** How a URL names the host: IPv6 addresses in brackets; any-address binds reached through loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

/**
 * Starts the reference app over HTTPS: a self-signed certificate made in
 * process, TLS 1.2 at least (Node negotiates 1.3 whenever the client has it;
 * Sealwire layers over TLS, it does not replace it, so the server check
 * `requireTls` stays on).
 *
 * @example
 * const running = await startExampleServer({ port: 0 })
 * console.log(running.url, running.certificate.fingerprint)
 * await running.close()
 */
export async function startExampleServer(options: StartOptions = {}): Promise<RunningExample> {
  const { port = 8443, host = '127.0.0.1', certificate: given, log, ...appOptions } = options
  const [app, certificate] = await Promise.all([createExampleApp(appOptions), given ?? createCertificate(host)])
  const listener: RequestListener =
    log === undefined
      ? app
      : (req, res) => {
          // Read now: Express's routers rewrite req.url while they route.
          // The path only: a query string may carry what a log must not keep.
          const line = `${req.method} ${(req.url ?? '/').split('?')[0]}`
          res.on('finish', () => {
            const type = String(res.getHeader('content-type') ?? '-').split(';')[0]
            log(`${line} → ${res.statusCode} ${type}`)
          })
          app(req, res)
        }
  const server = createServer({ key: certificate.key, cert: certificate.cert, minVersion: 'TLSv1.2' }, listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  return {
    url: `https://${urlHost(host)}:${bound}`,
    port: bound,
    certificate,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
