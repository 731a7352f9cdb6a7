/**
 * Key discovery never follows a redirect. It asks fetch for redirect: 'manual'
 * (Workers refuse 'error'), so the 3xx itself must be refused: a JWK Set
 * moved elsewhere is someone else's keys until the app configures it.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createClient } from '@sealwire/client'

let base: string
let followed = 0
const server = createServer((req, res) => {
  if (req.url === '/elsewhere.json') {
    followed++
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end('{"keys":[]}')
    return
  }
  res.writeHead(302, { location: '/elsewhere.json' }).end()
})
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

it('a redirected JWK Set is refused (key_discovery_failed), and the redirect is not followed', async () => {
  const api = createClient({ baseUrl: base, allowInsecureTransport: true })
  const error = await api.post('/api/echo', { a: 1 }).then(() => undefined, (e: unknown) => e)
  expect(error).toMatchObject({ code: 'key_discovery_failed' })
  expect(String((error as Error).message)).toMatch(/302/)
  expect(followed).toBe(0)
})
