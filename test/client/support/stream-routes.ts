// The streaming routes the client's stream tests (Node and Chromium) share, as Express handlers
// behind @sealwire/server's adapter:
//
// - GET /events?n=N&interval=MS → text/event-stream: N events `id: k` / `data: {"i":k}`, one every MS ms
// - GET /big?mb=M               → M MiB of 0x61 from a stream that honours backpressure
import { Readable } from 'node:stream'
import type { RequestHandler } from 'express'

export const eventsRoute: RequestHandler = (req, res) => {
  const n = Number(req.query.n)
  res.setHeader('content-type', 'text/event-stream')
  let k = 0
  const next = () => {
    res.write(`id: ${k}\ndata: {"i":${k}}\n\n`)
    if (++k === n) return void res.end()
    timer = setTimeout(next, Number(req.query.interval))
  }
  let timer = setTimeout(next, 0)
  res.on('close', () => clearTimeout(timer))
}

export const bigRoute: RequestHandler = (req, res) => {
  let left = Number(req.query.mb) * 16
  res.setHeader('content-type', 'application/octet-stream')
  new Readable({
    read() {
      this.push(left-- > 0 ? Buffer.alloc(64 * 1024, 0x61) : null)
    },
  }).pipe(res)
}
