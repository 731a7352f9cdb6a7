import { createServer, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { captureResponse } from './capture-response.js'

// V8's own view of an object's layout, for the one property that matters here.
setFlagsFromString('--allow-natives-syntax')
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean

/** One real request on loopback; `handle` answers it, `after` sees the response once it finished. */
async function exchange(handle: (res: ServerResponse) => void, after: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => {
    res.on('finish', () => after(res))
    handle(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    return await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST' }, (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text))
      })
        .on('error', reject)
        .end()
    })
  } finally {
    server.close()
  }
}

describe('captureResponse', () => {
  it('gives the methods back without turning the response into a slow (dictionary) object', async () => {
    let fast: boolean | undefined
    const text = await exchange(
      (res) => {
        const capture = captureResponse(res, async (body) => {
          capture.release()
          res.end(`sealed(${Buffer.from(body).toString()})`)
        })
        // What a framework does meanwhile: properties added after the overrides (Express's res.locals).
        ;(res as unknown as Record<string, unknown>).locals = {}
        res.end('plain')
      },
      (res) => (fast = hasFastProperties(res)),
    )
    expect(text).toBe('sealed(plain)')
    expect(fast).toBe(true)
  })

  it('leaves flushHeaders to Node where no stream can start: it sends nothing before the sealed answer', async () => {
    let ownFlush: boolean | undefined
    let status: number | undefined
    const text = await exchange(
      (res) => {
        const capture = captureResponse(res, async (body) => {
          capture.release()
          res.statusCode = 200
          res.end(`sealed(${Buffer.from(body).toString()})`)
        })
        ownFlush = Object.hasOwn(res, 'flushHeaders')
        // As an SSE handler does: the head at once. Node's flushHeaders goes through the captured writeHead.
        res.writeHead(201, { 'x-plain': 'yes' })
        res.flushHeaders()
        status = res.headersSent ? -1 : res.statusCode
        res.end('plain')
      },
      () => {},
    )
    expect(ownFlush).toBe(false)
    expect(status).toBe(201)
    expect(text).toBe('sealed(plain)')
  })
})
