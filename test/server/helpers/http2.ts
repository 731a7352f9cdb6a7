import { connect, constants } from 'node:http2'

export interface Http2Response {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface Http2RequestOptions {
  method: string
  path: string
  /** Request headers, pseudo-headers (`:authority`) included; sent as given. */
  headers?: Record<string, string>
  /**
   * The body, in DATA frames after HEADERS, without a Content-Length (HTTP/2
   * frames the body itself, RFC 9113 §8.1). Without it the HEADERS frame ends
   * the stream.
   */
  body?: string
}

/** One request over cleartext HTTP/2 (h2c, prior knowledge) with Node's own client. */
export function http2Request(origin: string, options: Http2RequestOptions): Promise<Http2Response> {
  return new Promise((resolve, reject) => {
    const session = connect(origin)
    session.on('error', reject)
    const stream = session.request(
      { [constants.HTTP2_HEADER_METHOD]: options.method, [constants.HTTP2_HEADER_PATH]: options.path, ...options.headers },
      { endStream: options.body === undefined },
    )
    const chunks: Buffer[] = []
    let head: Record<string, string | string[] | undefined> = {}
    stream.on('response', (headers) => (head = headers as typeof head))
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => {
      session.close()
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks).toString('utf8') })
    })
    stream.on('error', reject)
    if (options.body !== undefined) stream.end(options.body)
  })
}
