import type { AddressInfo } from 'node:net'
import { createFastifyApp, type FastifyExampleOptions } from './app.js'
import { selfSignedCertificate } from './certificate.js'

export interface RunningFastifyExample {
  url: string
  /** The self-signed certificate, PEM: pin it in clients. */
  cert: string
  close(): Promise<void>
}

/** Serves the Fastify example over HTTPS on 127.0.0.1, with a certificate made now unless one is given. */
export async function startFastifyExample(options: Partial<FastifyExampleOptions> & { port?: number } = {}): Promise<RunningFastifyExample> {
  const { port = 8444, https, ...rest } = options
  const tls = https ?? (await selfSignedCertificate())
  const app = await createFastifyApp({ ...rest, https: tls })
  await app.listen({ port, host: '127.0.0.1' })
  return { url: `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`, cert: tls.cert, close: () => app.close() }
}
