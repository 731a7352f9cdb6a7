import { ENVELOPE_HEADER, JOSE_MEDIA_TYPE } from '@sealwire/core'

export interface CurlCommandOptions {
  method: string
  url: string
  placement: 'body' | 'header'
  envelope: string
  insecure: boolean
}

/**
 * A curl command line that sends a sealed request exactly as a Sealwire
 * client would (docs/PROTOCOL.md §3.1). `-i` keeps the status line and
 * headers in the output, so piping it into `sealwire open --reply FILE` checks
 * the sealed `sts` against the real HTTP status, and shows a plain
 * problem+json refusal (sent before decryption) as what it is.
 */
export function curlCommand(options: CurlCommandOptions): string {
  const { method, placement, envelope } = options
  const args = ['curl', '-sS', '-i']
  if (options.insecure) args.push('-k')
  // HEAD through -X would make curl wait for a body that never comes.
  if (method === 'HEAD') args.push('--head')
  else if (method !== 'GET' || placement === 'body') args.push('-X', method)
  if (placement === 'header') args.push('-H', `${ENVELOPE_HEADER}: ${envelope}`)
  else args.push('-H', `Content-Type: ${JOSE_MEDIA_TYPE}`, '--data-binary', envelope)
  args.push(options.url)
  return args.map(shellQuote).join(' ')
}

/** POSIX shell single-quoting; bare where a word is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
