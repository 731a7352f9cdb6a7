import { z } from 'zod'
import type { ReplyContext } from '@sealwire/core'
import { CliError } from './errors.js'
import { MAX_SMALL_FILE_BYTES, readTextFile } from './inputs.js'
import type { CliIo } from './io.js'

/**
 * The reply context `seal` writes and `open --reply` reads: the request's
 * `jti` and its response key `rk`. `rk` opens every response to that request,
 * so the file is written 0600 and should be deleted when the debugging is done.
 * The method, target and kid are there for the reader, not for the protocol.
 */
const b64u = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')
const replyFileSchema = z.object({
  sealwire: z.literal('reply-context'),
  version: z.literal(1),
  jti: b64u.min(22).max(86),
  rk: b64u.length(43, 'must encode 32 bytes'),
  method: z.string(),
  target: z.string(),
  kid: z.string(),
})
export type ReplyFile = z.infer<typeof replyFileSchema>

export function serializeReply(reply: ReplyContext, about: { method: string; target: string; kid: string }): string {
  const file: ReplyFile = { sealwire: 'reply-context', version: 1, jti: reply.jti, rk: Buffer.from(reply.rk).toString('base64url'), ...about }
  return `${JSON.stringify(file, null, 2)}\n`
}

export async function readReplyFile(io: CliIo, file: string): Promise<{ reply: ReplyContext; about: ReplyFile }> {
  const text = await readTextFile(io, file, MAX_SMALL_FILE_BYTES)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CliError('invalid_reply', `${file} is not JSON`, { hint: 'pass the file `sealwire seal --reply-out` wrote' })
  }
  const parsed = replyFileSchema.safeParse(json)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? p : String(p))), message: i.message }))
    throw new CliError('invalid_reply', `${file} is not a sealwire reply context`, { issues, hint: 'pass the file `sealwire seal --reply-out` wrote' })
  }
  return { reply: { jti: parsed.data.jti, rk: new Uint8Array(Buffer.from(parsed.data.rk, 'base64url')) }, about: parsed.data }
}
