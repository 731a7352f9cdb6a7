// examples/fastify over real HTTPS on loopback, its self-signed certificate pinned.
import { connect } from 'node:tls'
import { expect, it } from 'vitest'
import { pinnedFetch } from '../../examples/express/src/index.js'
import { selfSignedCertificate, startFastifyExample } from '../../examples/fastify/src/index.js'
import { describeSealedApi } from './support.js'

describeSealedApi('examples/fastify', async () => {
  const running = await startFastifyExample({ port: 0 })
  return { url: running.url, fetch: pinnedFetch(running.cert), close: running.close }
})

it('examples/fastify: HTTPS only, TLS 1.2 at least', async () => {
  const running = await startFastifyExample({ port: 0, https: await selfSignedCertificate() })
  try {
    const port = Number(new URL(running.url).port)
    const handshake = (maxVersion: 'TLSv1.1' | 'TLSv1.3') =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca: running.cert, minVersion: 'TLSv1', maxVersion }, () => {
          resolve(socket.getProtocol() ?? '?')
          socket.end()
        })
        socket.once('error', reject)
      })
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3')
    await expect(handshake('TLSv1.1')).rejects.toThrow()
    // Plain HTTP to the TLS port is not an answer.
    await expect(fetch(running.url.replace('https:', 'http:') + '/api/ping')).rejects.toThrow()
  } finally {
    await running.close()
  }
})
