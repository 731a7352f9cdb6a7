import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { JWKS_PATH } from '@sealwire/core'
import { CliError, UsageError } from './errors.js'

export interface FetchJwksOptions {
  /** Accept a certificate that does not verify (self-signed development servers), like `curl -k`. */
  insecure: boolean
  timeoutMs?: number
  maxBytes?: number
}

/**
 * `--jwks https://host` means the server's JWK Set at the well-known path;
 * a URL with a path is used as given.
 */
export function jwksUrl(input: string): URL {
  const url = new URL(input)
  if (url.pathname === '/' && url.search === '') url.pathname = JWKS_PATH
  return url
}

/**
 * Loopback hosts, where plain `http:` never leaves the machine: `localhost`,
 * 127.0.0.0/8 and `[::1]` (the WHATWG URL parser has already normalized
 * `127.1` and `0x7f.0.0.1` to `127.0.0.1`). The same rule as the client's
 * `isLoopbackHost`; the CLI does not depend on the client package.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * Refuses a plain `http://` JWK Set URL on a host other than loopback unless
 * the user passed `--insecure-http`: over plain HTTP anyone on the path can
 * swap the set for their own key, and every envelope sealed to it is theirs
 * to open. Loopback stays allowed for development, as in the client.
 */
export function assertJwksTransport(url: URL, allowInsecureHttp: boolean): void {
  if (url.protocol !== 'http:' || allowInsecureHttp || isLoopbackHost(url.hostname)) return
  throw new UsageError(
    `refusing plain http:// for --jwks ${url.href}: a key set fetched in the clear can be swapped for an attacker's key; use https://, a loopback host, or pass --insecure-http to accept the risk`,
  )
}

/**
 * GETs a JWK Set with `node:http(s)` rather than `fetch`, because only this
 * way can a developer opt into a self-signed certificate for one request
 * (`--insecure`) without turning off verification for the whole process.
 * Capped in size and time; every failure is `key_discovery_failed`.
 */
export function fetchJwks(url: URL, options: FetchJwksOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const maxBytes = options.maxBytes ?? 256 * 1024
  const fail = (message: string, cause?: unknown) => new CliError('key_discovery_failed', `${url.href}: ${message}`, cause === undefined ? {} : { cause })
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return Promise.reject(fail('only http and https URLs are supported'))
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { accept: 'application/json' }, timeout: timeoutMs, rejectUnauthorized: !options.insecure }, (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        const where = res.headers.location === undefined ? '' : ` (redirects to ${res.headers.location})`
        reject(fail(`HTTP ${res.statusCode ?? '?'}${where}`))
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) {
          req.destroy()
          reject(fail(`response larger than ${maxBytes} bytes`))
          return
        }
        chunks.push(chunk)
      })
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      res.on('error', (error) => reject(fail(error.message, error)))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (error: NodeJS.ErrnoException) => {
      const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.code ?? '')
      reject(
        new CliError('key_discovery_failed', `${url.href}: ${error.code ?? error.message}`, {
          cause: error,
          ...(tls ? { hint: 'the certificate does not verify; for a self-signed development server pass --insecure (-k)' } : {}),
        }),
      )
    })
    req.end()
  })
}
