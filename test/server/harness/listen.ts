import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { testCertificate } from '../helpers/tls.js'
import type { RunningApp } from './spec.js'

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

/** The same Node request listener on a TLS and a plain-HTTP loopback listener. */
export async function serveNode(listener: RequestListener): Promise<RunningApp> {
  const { key, cert } = await testCertificate()
  const tls = createHttpsServer({ key, cert }, listener)
  const plain = createHttpServer(listener)
  const [tlsPort, plainPort] = await Promise.all([listen(tls), listen(plain)])
  return {
    secureUrl: `https://127.0.0.1:${tlsPort}`,
    plainUrl: `http://127.0.0.1:${plainPort}`,
    close: async () => {
      await Promise.all([close(tls), close(plain)])
    },
  }
}
