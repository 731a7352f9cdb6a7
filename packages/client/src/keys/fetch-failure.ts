/**
 * Why a key-set fetch failed, in one sentence with the fix. Node's fetch
 * (undici) throws `TypeError: fetch failed` and puts the reason (an untrusted
 * certificate, a refused connection) a `cause` or more deeper, as a Node error
 * `code`; browsers give no reason at all. Loaded with `import()` only when a
 * fetch has failed, so the eager bundle does not carry these sentences.
 *
 * Only error codes and names are read, never messages, and only codes this
 * module knows are named: a custom `fetch` may throw anything (a code-shaped
 * token included), and the sentence becomes a `SealwireError` message, which
 * ends up in logs and in front of users. Likewise the key set's URL is shown
 * by its origin only: its path or query may carry a credential.
 */

/** Errors visited at most: the chain is a few deep; a cycle or a huge AggregateError stops here. */
const MAX_ERRORS = 16

/** A Node/undici error code: upper case, digits, underscores. Anything else is not echoed. */
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/

/** Timeouts undici names, besides `ETIMEDOUT` and the DOM's `TimeoutError`. */
const TIMEOUTS = new Set(['ETIMEDOUT', 'TimeoutError', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
])

/** The codes (and, for DOMExceptions, names) along `error`'s cause chain, breadth first, AggregateError members included. */
function chainCodes(error: unknown): string[] {
  const codes: string[] = []
  const seen = new Set<unknown>()
  const queue: unknown[] = [error]
  while (queue.length > 0 && seen.size < MAX_ERRORS) {
    const e = queue.shift()
    if (typeof e !== 'object' || e === null || seen.has(e)) continue
    seen.add(e)
    const { code, name, cause, errors } = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown }
    for (const c of [code, name]) if (typeof c === 'string' && (CODE.test(c) || c === 'AbortError' || c === 'TimeoutError')) codes.push(c)
    queue.push(cause)
    if (Array.isArray(errors)) queue.push(...errors.slice(0, MAX_ERRORS))
  }
  return codes
}

/** The sentence for one code, or undefined when the code says nothing we can act on. */
function reason(code: string, url: URL): string | undefined {
  if (UNTRUSTED.has(code)) {
    return (
      `the server's TLS certificate is not trusted (${code}): in Node, start the process with ` +
      'NODE_EXTRA_CA_CERTS=/path/to/ca.pem (the CA that issued it, or the self-signed certificate itself), ' +
      'or serve a certificate your platform trusts'
    )
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `the server's TLS certificate is outside its validity period (${code}): renew it, and check both clocks`
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's TLS certificate does not name ${url.hostname} (${code}): use a host name the certificate lists, or issue one with it in subjectAltName`
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return `the TLS handshake failed (${code}): the server at ${url.host} is most likely speaking plain HTTP on that port`
  }
  if (code === 'ECONNREFUSED') return `connection refused at ${url.origin}: is the server running and listening there?`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${code}): check the host name ${url.hostname}`
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${url.host} is unreachable (${code})`
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') {
    return `the connection was closed before an answer (${code}): a proxy or the server dropped it`
  }
  if (TIMEOUTS.has(code)) return `no answer from ${url.host} in time (${code})`
  if (code === 'AbortError') return 'the request was aborted'
  // Shapes we recognise, codes we do not: the sentence, without the code (it may be anything a custom fetch made up).
  if (code.startsWith('UND_ERR_') && code.endsWith('_TIMEOUT')) return `no answer from ${url.host} in time; the error's cause holds the details`
  if (/CERT|TLS|SSL/.test(code)) return "the TLS handshake failed; the error's cause holds the details"
  return undefined
}

/**
 * ` from <origin>: <reason>` for a failed fetch of the key set at `href`: the
 * first code along the cause chain that names a reason, else a pointer to the
 * error's `cause`, else a note for browsers (which hide the reason from
 * scripts).
 */
export function explainFetchFailure(error: unknown, href: string): string {
  let url: URL
  try {
    url = new URL(href)
  } catch {
    return ''
  }
  const where = ` from ${url.origin}`
  try {
    const codes = chainCodes(error)
    for (const code of codes) {
      const why = reason(code, url)
      if (why !== undefined) return `${where}: ${why}`
    }
    if (codes.length > 0) return `${where}: the fetch failed for a reason this client does not name; the error's cause holds it`
    if (error instanceof TypeError && error.cause === undefined) {
      return `${where}: no reason given; in a browser, which hides it from scripts, the developer console shows it (a CORS refusal, an untrusted certificate, a network error)`
    }
  } catch {
    // A custom fetch's error whose `cause` getter throws, or a revoked Proxy: no reason, and never that error.
  }
  return where
}
