// Loopback listeners and the request log shared by the adapter harnesses.
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { ENVELOPE_HEADER, JWKS_PATH, type KeyRing } from '@sealwire/core'
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import type { Harness, HarnessOptions, ServerLogEntry } from './harness.js'

/** Records a request as it arrived, before any Sealwire code sees it. */
export function logEntry(req: IncomingMessage, bodyBytes = Number(req.headers['content-length'] ?? 0)): ServerLogEntry {
  return {
    method: req.method!,
    url: req.url!,
    contentType: req.headers['content-type'],
    envelopeHeader: ENVELOPE_HEADER.toLowerCase() in req.headers,
    bodyBytes,
  }
}

/** Serves `listener` on 127.0.0.1, port 0, over HTTPS when `tls` is given. */
export async function listen(listener: RequestListener, options: HarnessOptions, log: ServerLogEntry[], onClose?: () => Promise<void>): Promise<Harness> {
  const { tls } = options
  const server = tls === undefined ? createServer(listener) : createHttpsServer({ key: tls.key, cert: tls.cert }, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const keyRing: KeyRing = options.keyRing
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    keyRing,
    log,
    jwksRequests: () => log.filter((e) => e.url === JWKS_PATH).length,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      })
      await onClose?.()
    },
  }
}

/** Static files are the browser test's, served by the Express harness only. */
export function refuseFiles(options: HarnessOptions, adapter: string): void {
  if (options.files !== undefined) throw new Error(`the ${adapter} harness serves no static files`)
}

/** The server engine every harness wraps: the test's key ring (shared, for rotation), plain HTTP allowed on loopback. */
export async function sealwireServer(options: HarnessOptions): Promise<SealwireServer> {
  const server = createSealwireServer({
    keys: options.keyRing,
    allowInsecureLoopback: true,
    singleInstance: true,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.jwksMaxAgeSeconds === undefined ? {} : { jwksMaxAgeSeconds: options.jwksMaxAgeSeconds }),
  })
  await server.ready
  return server
}

/**
 * Servers a test file starts on 127.0.0.1 (port 0): `serve` answers their
 * `host:port`, `closeAll` (for `afterAll`) closes them with their connections.
 */
export function loopbackServers(): { serve(server: Server): Promise<string>; closeAll(): Promise<void> } {
  const servers: Server[] = []
  return {
    async serve(server) {
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return `127.0.0.1:${(server.address() as AddressInfo).port}`
    },
    async closeAll() {
      for (const server of servers.splice(0)) {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      }
    },
  }
}
