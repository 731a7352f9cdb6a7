/**
 * A failed key discovery says why, and how to fix it (issue 10, Deliver 2):
 * Node's fetch reports "fetch failed" with the real reason (an untrusted
 * certificate, a refused connection) a `cause` or two deeper, where nobody
 * looks. Real sockets on loopback: a self-signed HTTPS server, a plain HTTP
 * one spoken to over https://, a port nothing listens on.
 */
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '@sealwire/client'
import { testCertificate } from '../server/helpers/tls.js'
import { freePort } from '../helpers/system.js'
import { loopbackServers } from './support/listen.js'
import { caught } from './support/caught.js'

const { serve, closeAll } = loopbackServers()


let selfSigned: string
let plainHttp: string

beforeAll(async () => {
  const tls = await testCertificate()
  // Never reached by a request: the TLS handshake fails first.
  selfSigned = await serve(createHttpsServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('{"keys":[]}')))
  plainHttp = await serve(createHttpServer((_req, res) => res.end('{"keys":[]}')))
})
afterAll(closeAll)

describe('key_discovery_failed names the root cause and the fix', () => {
  it('an untrusted (self-signed) certificate: names the certificate problem and NODE_EXTRA_CA_CERTS', async () => {
    const err = await caught(createClient({ baseUrl: `https://${selfSigned}` }).post('/api/echo', { a: 1 }))
    expect(err.code).toBe('key_discovery_failed')
    expect(err.message).toContain(`from https://${selfSigned}: `)
    expect(err.message).toMatch(/TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/)
    expect(err.message).toContain('NODE_EXTRA_CA_CERTS=')
    // The original error stays reachable for the owner's logs.
    expect(err.cause).toBeInstanceOf(TypeError)
  })

  it('a port nothing listens on: says the connection was refused, and where', async () => {
    const port = await freePort()
    const err = await caught(createClient({ baseUrl: `https://127.0.0.1:${port}` }).get('/api/items'))
    expect(err.code).toBe('key_discovery_failed')
    expect(err.message).toContain(`connection refused at https://127.0.0.1:${port}`)
    expect(err.cause).toBeInstanceOf(TypeError)
  })

  it('https:// to a server speaking plain HTTP: says so', async () => {
    const err = await caught(createClient({ baseUrl: `https://${plainHttp}` }).get('/api/items'))
    expect(err.code).toBe('key_discovery_failed')
    expect(err.message).toMatch(/TLS handshake failed .*plain HTTP/)
  })

  it('a custom fetch that throws without a cause: the message stays generic and keeps the cause', async () => {
    const thrown = new TypeError('secret-looking text that must not be echoed')
    const api = createClient({
      baseUrl: 'https://api.example.com',
      fetch: async () => {
        throw thrown
      },
    })
    const err = await caught(api.get('/api/items'))
    expect(err.code).toBe('key_discovery_failed')
    expect(err.message).toContain('could not be fetched from https://api.example.com: ')
    expect(err.message).not.toContain('secret-looking')
    expect(err.cause).toBe(thrown)
  })
})
