import { establishSession, type Clock, type CryptoBackend, type OpenedRequest, type ReplyContext, type SessionStore } from '@sealwire/core'

export interface SessionSettings {
  readonly store: SessionStore
  readonly backend: CryptoBackend
  readonly ttlSeconds: number
  readonly clock: Clock
}

/**
 * The reply context of an accepted request, with the session it offered
 * established (docs/PROTOCOL.md §11) when it offered one. A session that
 * cannot be made (store full or down, a cpk that is no point) leaves the
 * request a plain v1 one: its answer announces nothing, and the client keeps
 * a key agreement per request.
 */
export async function establishOffered(opened: OpenedRequest<unknown>, settings: SessionSettings): Promise<ReplyContext> {
  const offer = opened.sessionOffer
  if (offer === undefined) return opened.reply
  const { claims } = opened
  const session = await establishSession({
    backend: settings.backend,
    store: settings.store,
    kid: claims.kid,
    crv: claims.crv,
    jti: claims.jti,
    origin: claims.hto ?? '',
    cpk: offer.cpk,
    exp: Math.floor(settings.clock() / 1000) + settings.ttlSeconds,
  })
  return session === undefined ? opened.reply : { ...opened.reply, session }
}
