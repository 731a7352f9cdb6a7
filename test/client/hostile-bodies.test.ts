// Answers too large to buffer: a hostile (or broken) server or proxy streams a
// huge plain problem, JWK Set or "sealed" body. The client must stop reading
// at its cap, not after the whole body has arrived. Real HTTP on loopback.
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { JWKS_PATH, KeyRing, SealwireError, generateKeyPair } from '@sealwire/core'
import { createClient } from '@sealwire/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caught } from './support/caught.js'

/** Far more than any cap (16 KiB problem, 64 KiB JWK Set, the 1 MiB maxResponseBytes below) plus socket buffers. */
const TOTAL = 48 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'a')

interface Served {
  /** Bytes the server managed to hand to the socket before the client hung up (or all of them). */
  written: number
  complete: boolean
}

type Answer = { status: number; type: string; declareLength: boolean }

/** A loopback server whose every answer is TOTAL bytes, streamed with backpressure, chunked or with Content-Length. */
async function startHugeServer(answerFor: (path: string) => Answer) {
  const served: Served[] = []
  const done: Array<Promise<void>> = []
  const server = createServer((req, res) => {
    const record: Served = { written: 0, complete: false }
    served.push(record)
    done.push(new Promise((resolve) => res.on('close', resolve)))
    // Drain the request (a sealed POST body) before answering.
    req.resume()
    req.on('end', () => stream(res, answerFor(req.url!.split('?', 1)[0]!), record))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    /** Resolves once every answer so far has ended or been cut off. */
    settled: () => Promise.all(done),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}

function stream(res: ServerResponse, answer: Answer, record: Served): void {
  res.writeHead(answer.status, { 'content-type': answer.type, ...(answer.declareLength ? { 'content-length': String(TOTAL) } : {}) })
  const pump = () => {
    while (record.written < TOTAL && !res.destroyed) {
      record.written += CHUNK.length
      if (!res.write(CHUNK)) return void res.once('drain', pump)
    }
    if (!res.destroyed) res.end(() => (record.complete = true))
  }
  res.on('error', () => undefined)
  pump()
}


const ring = await KeyRing.from([(await generateKeyPair('P-256')).privateJwk])

describe.each([
  ['chunked (no Content-Length)', false],
  ['with a Content-Length over the cap', true],
])('a huge answer, %s, is cut off at the cap', (_label, declareLength) => {
  let srv: Awaited<ReturnType<typeof startHugeServer>>
  beforeAll(async () => {
    srv = await startHugeServer((path) =>
      path === JWKS_PATH
        ? { status: 200, type: 'application/json', declareLength }
        : path === '/api/problem'
          ? { status: 400, type: 'application/problem+json', declareLength }
          : { status: 200, type: 'application/jose', declareLength },
    )
  })
  afterAll(async () => {
    await srv.close()
  })

  async function expectCutOff(): Promise<void> {
    await srv.settled()
    const last = srv.served.at(-1)!
    expect(last.complete).toBe(false)
    expect(last.written).toBeLessThan(TOTAL)
  }

  it('a plain problem answer: response_not_encrypted', async () => {
    const api = createClient({ baseUrl: srv.url, keys: ring.publicJwks() })
    expect((await caught(api.get('/api/problem'))).code).toBe('response_not_encrypted')
    await expectCutOff()
  })

  it('a JWK Set: key_discovery_failed', async () => {
    const api = createClient({ baseUrl: srv.url })
    const err = await caught(api.get('/api/anything'))
    expect(err.code).toBe('key_discovery_failed')
    expect(err.message).toMatch(/larger than/)
    await expectCutOff()
  })

  it('a "sealed" answer over maxResponseBytes: response_decryption_failed', async () => {
    const api = createClient({ baseUrl: srv.url, keys: ring.publicJwks(), maxResponseBytes: 1024 * 1024 })
    const err = await caught(api.post('/api/sealed', { a: 1 }))
    expect(err.code).toBe('response_decryption_failed')
    expect(err.message).toMatch(/maxResponseBytes/)
    await expectCutOff()
  })
})
