import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'

export interface RawResponse {
  status: number
  /** The reason phrase of the status line, as received. */
  statusMessage: string
  headers: IncomingHttpHeaders
  body: string
}

export interface RawRequestOptions {
  method?: string
  headers?: Record<string, string>
  /** Sent with a Content-Length. */
  body?: string
  /** Sent with Transfer-Encoding: chunked, one write per chunk. */
  chunks?: string[]
  /** Trusted certificate for https URLs (the test's self-signed one). */
  ca?: string
  /**
   * TLS server name to verify (and send as SNI). Node takes it from a `Host`
   * header when there is one; a test that sends another Host names the
   * certificate's own (`localhost`) here.
   */
  servername?: string
  /** Source address of the connection, e.g. `127.0.0.2`: a second client on loopback. */
  localAddress?: string
}

/**
 * One HTTP(S) request with Node's own client: full control over framing
 * (Content-Length, chunked, a declared length never sent) and headers,
 * which fetch does not give. Errors after the response arrived (the server
 * closing an upload it refused) are ignored; the response is what counts.
 */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    let answered = false
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        agent: false,
        ...(options.servername === undefined ? {} : { servername: options.servername }),
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (res) => {
        answered = true
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })
          req.destroy()
        })
        res.on('error', reject)
      },
    )
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk)
      req.end()
    } else if (options.headers?.['content-length'] !== undefined && options.body !== undefined && Buffer.byteLength(options.body) < Number(options.headers['content-length'])) {
      // A declared length larger than what is sent: the request stays open, so
      // only an answer given before reading the body can arrive.
      req.write(options.body)
    } else {
      req.end(options.body)
    }
  })
}
