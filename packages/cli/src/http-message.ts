/** What `open` and `inspect` read: a bare envelope, or a whole HTTP response as `curl -i` prints it. */
export interface ResponseInput {
  /** The HTTP status, when the input carried a status line. */
  status?: number
  /** Header names lowercased; empty for a bare envelope. */
  headers: Map<string, string>
  /** The body, surrounding whitespace removed. */
  body: string
}

const STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})(?: [^\r\n]*)?\r?$/

/**
 * Splits `curl -i` output into status, headers and body. Interim blocks
 * (`100 Continue`, a proxy's `200 Connection established`) are skipped: the
 * last status line before the body is the response's. Anything else is taken
 * as a bare body.
 */
export function parseResponseInput(text: string): ResponseInput {
  let rest = text.replace(/^\s+/, '')
  let status: number | undefined
  let headers = new Map<string, string>()
  while (STATUS_LINE.test(firstLine(rest))) {
    const end = rest.search(/\r?\n\r?\n/)
    const head = end === -1 ? rest : rest.slice(0, end)
    rest = end === -1 ? '' : rest.slice(end).replace(/^\r?\n\r?\n/, '')
    const lines = head.split(/\r?\n/)
    status = Number(STATUS_LINE.exec(lines[0]!)![1])
    headers = new Map()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
    }
  }
  return { ...(status === undefined ? {} : { status }), headers, body: rest.trim() }
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n')
  return nl === -1 ? text : text.slice(0, nl)
}

/** The media type of a Content-Type value, lowercased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase()
}

/**
 * The envelope in what a person pastes or pipes: a bare JWE, a
 * `Sealwire-Envelope: …` header line, or a `curl -i` dump (its body).
 */
export function envelopeOf(text: string): string {
  const { body } = parseResponseInput(text)
  return body.replace(/^sealwire-envelope:\s*/i, '').trim()
}
