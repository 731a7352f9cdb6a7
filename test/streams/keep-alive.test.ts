/**
 * HTTP/1.1 framing of sealed answers, on one kept-alive connection per adapter: a one-shot
 * answer carries its own Content-Length, a streamed one is chunked, and the connection stays
 * open for the next request. Removing the handler's Content-Length and Transfer-Encoding (they
 * describe the plaintext) once left Node to frame the body by closing the connection after it
 * had announced keep-alive: clients that reuse connections (load balancers, autocannon, agents)
 * then waited for an end that never came.
 */
import { connect, type Socket } from 'node:net'
import { createSealwireServer } from '@sealwire/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealRequest } from '@sealwire/core'
import { testKeys, type TestKeys } from '../server/helpers/sealing.js'
import { expressApp, fastifyApp, fetchApp, koaApp, type StreamApp } from './apps.js'

const adapters = [
  { name: 'express', makeApp: expressApp },
  { name: 'koa', makeApp: koaApp },
  { name: 'fastify', makeApp: fastifyApp },
  { name: 'fetch (Hono)', makeApp: fetchApp },
]

interface Head {
  status: number
  headers: Map<string, string>
}

/** Reads one HTTP/1.1 response off `socket` by its framing alone (Content-Length or chunked); never by the connection closing. */
function readResponse(socket: Socket, buffered: { bytes: Buffer }): Promise<Head & { body: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no complete response within 5 s: the body is not framed')), 5000)
    const attempt = () => {
      const bytes = buffered.bytes
      const end = bytes.indexOf('\r\n\r\n')
      if (end < 0) return false
      const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n')
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
      let at = end + 4
      let body: Buffer
      if (headers.has('content-length')) {
        const length = Number(headers.get('content-length'))
        if (bytes.length < at + length) return false
        body = bytes.subarray(at, at + length)
        at += length
      } else if (headers.get('transfer-encoding') === 'chunked') {
        const parts: Buffer[] = []
        for (;;) {
          const lineEnd = bytes.indexOf('\r\n', at)
          if (lineEnd < 0) return false
          const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16)
          if (bytes.length < lineEnd + 2 + size + 2) return false
          parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size))
          at = lineEnd + 2 + size + 2
          if (size === 0) break
        }
        body = Buffer.concat(parts)
      } else {
        clearTimeout(timer)
        reject(new Error(`unframed response: neither Content-Length nor chunked (${statusLine}; ${lines.join(' | ')})`))
        return true
      }
      buffered.bytes = bytes.subarray(at)
      clearTimeout(timer)
      socket.off('data', onData)
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body })
      return true
    }
    const onData = (chunk: Buffer) => {
      buffered.bytes = Buffer.concat([buffered.bytes, chunk])
      attempt()
    }
    if (!attempt()) socket.on('data', onData)
  })
}

describe.each(adapters)('HTTP/1.1 framing of sealed answers: $name', ({ makeApp }) => {
  let keys: TestKeys
  let app: StreamApp
  beforeAll(async () => {
    keys = await testKeys()
    app = await makeApp(createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true }))
  })
  afterAll(async () => {
    await app?.close()
  })

  it('answers one-shot and streamed requests on one kept-alive connection, each framed by length or chunks', async () => {
    const { hostname, port } = new URL(app.url)
    const socket = connect(Number(port), hostname)
    await new Promise((resolve) => socket.once('connect', resolve))
    const buffered = { bytes: Buffer.alloc(0) }
    try {
      for (const [target, streams] of [['/once', false], ['/once', true], ['/events?n=2&interval=0', true], ['/once', false]] as const) {
        const sealed = await sealRequest({ recipient: keys.recipients.X25519, request: { method: 'GET', target }, streams })
        const headers = Object.entries(sealed.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
        socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${headers}\r\n`)
        const answer = await readResponse(socket, buffered).catch((err: Error) => Promise.reject(new Error(`${target} (streams ${streams}): ${err.message}`)))
        expect(answer.status).toBe(200)
        expect(answer.headers.get('connection') ?? 'keep-alive').not.toBe('close')
        if (target.startsWith('/events')) expect(answer.headers.get('transfer-encoding')).toBe('chunked')
        else expect(Number(answer.headers.get('content-length'))).toBe(answer.body.length)
      }
    } finally {
      socket.destroy()
    }
  })
})
