import type { SealwireError } from '../errors.js'
import type { ReplyContext } from './request-descriptor.js'

// Errors raised after decryption can, and must, be answered encrypted to the
// requester. The reply context rides beside the error in a WeakMap rather than
// on it, so logging or serializing an error can never print a response key.
const replies = new WeakMap<SealwireError, ReplyContext>()

export function attachReply(error: SealwireError, reply: ReplyContext): SealwireError {
  replies.set(error, reply)
  return error
}

/**
 * The reply context of an error raised after the envelope was decrypted
 * (`binding_mismatch`, `replayed_request`, `replay_guard_unavailable`,
 * `invalid_payload`), so the server can seal its problem response; undefined
 * for errors raised before, which are answered in plain problem+json.
 */
export function replyContextOf(error: unknown): ReplyContext | undefined {
  return typeof error === 'object' && error !== null ? replies.get(error as SealwireError) : undefined
}
