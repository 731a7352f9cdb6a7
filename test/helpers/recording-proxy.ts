// A TLS terminator on loopback that keeps every byte: what a load balancer, a
// CDN or a logging proxy in front of the server can read. It relays raw TCP
// (no HTTP parsing of its own, so nothing it records was rebuilt by it) and,
// in front of an HTTPS server, decrypts and re-encrypts as such hops do.
import { createServer as createTcpServer, connect as tcpConnect, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls'

export interface RecordingProxyOptions {
  /** The upstream's certificate (PEM), trusted for the re-encrypted leg to an https upstream. */
  ca?: string
  /** The proxy's own certificate, for its TLS listener in front of an https upstream. */
  tls?: { key: string; cert: string }
}

export interface Recorded {
  /** Every byte clients sent through the proxy, in arrival order, all connections together. */
  toServer: Buffer
  /** Every byte the server sent back. */
  toClient: Buffer
}

export interface RecordingProxy {
  /** Where clients connect: the upstream's scheme, the proxy's port. */
  url: string
  /** What crossed since the last `take()` (or since start), then forgets it. */
  take(): Recorded
  close(): Promise<void>
}

/** Starts a recording proxy in front of `upstream` (http:// or https://, on loopback). */
export async function startRecordingProxy(upstream: string, options: RecordingProxyOptions = {}): Promise<RecordingProxy> {
  const target = new URL(upstream)
  const secure = target.protocol === 'https:'
  if (secure && (options.tls === undefined || options.ca === undefined)) throw new TypeError('an https upstream needs tls (the proxy certificate) and ca (the upstream certificate)')
  const port = Number(target.port)
  const host = target.hostname
  let toServer: Buffer[] = []
  let toClient: Buffer[] = []
  const sockets = new Set<Socket>()

  const relay = (client: Socket) => {
    const server = secure ? tlsConnect({ host, port, ca: options.ca! }) : tcpConnect({ host, port })
    for (const s of [client, server]) {
      sockets.add(s)
      s.once('close', () => sockets.delete(s))
    }
    client.on('data', (chunk: Buffer) => {
      toServer.push(chunk)
      server.write(chunk)
    })
    server.on('data', (chunk: Buffer) => {
      toClient.push(chunk)
      client.write(chunk)
    })
    client.once('end', () => server.end())
    server.once('end', () => client.end())
    client.once('error', () => server.destroy())
    server.once('error', () => client.destroy())
  }

  const listener: Server = secure ? createTlsServer({ key: options.tls!.key, cert: options.tls!.cert }, relay) : createTcpServer(relay)
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(0, '127.0.0.1', () => resolve())
  })
  const address = listener.address() as { port: number }
  return {
    url: `${target.protocol}//127.0.0.1:${address.port}`,
    take() {
      const taken = { toServer: Buffer.concat(toServer), toClient: Buffer.concat(toClient) }
      toServer = []
      toClient = []
      return taken
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        listener.close(() => resolve())
      }),
  }
}

/**
 * The spellings a secret could take on the wire: as is, percent-encoded (as a
 * URL or a form spells it), and in base64 and base64url at each of the three
 * byte alignments (only the characters that depend on the secret alone), so a
 * secret inside a base64 blob (a Basic credential, a JWT, an unencrypted JOSE
 * part) is found wherever it starts.
 */
export function wireSpellings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)])
  for (let k = 0; k < 3; k++) {
    const padded = Buffer.concat([Buffer.alloc(k), bytes])
    const from = Math.ceil((k * 8) / 6)
    const to = Math.floor((padded.length * 8) / 6)
    forms.add(padded.toString('base64').slice(from, to))
    forms.add(padded.toString('base64url').slice(from, to))
  }
  return [...forms]
}

/** Which of `secrets` (in any spelling of `wireSpellings`) occur in `bytes`, case-insensitively. */
export function secretsIn(bytes: Buffer, secrets: readonly string[]): string[] {
  const text = bytes.toString('latin1').toLowerCase()
  const utf8 = bytes.toString('utf8').toLowerCase()
  return secrets.filter((secret) => wireSpellings(secret).some((form) => text.includes(form.toLowerCase()) || utf8.includes(form.toLowerCase())))
}
