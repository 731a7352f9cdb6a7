import { acceptSession, offerSession, type ClientSession, type RecipientKey, type SessionOffer } from '@sealwire/core'

/** How a request is sealed (docs/PROTOCOL.md §11): within a session, offering one, or plain v1. */
export type SessionPlan = { readonly kind: 'session'; readonly session: ClientSession } | { readonly kind: 'offer'; readonly offer: SessionOffer } | { readonly kind: 'plain' }

const PLAIN: SessionPlan = { kind: 'plain' }

/**
 * A session is left this long before its `exp`: a request sealed just before
 * would reach the server after it, and cost a refusal and a resend.
 */
export const SESSION_EXPIRY_MARGIN_MS = 5_000
/** After a sealed answer without a session, no offer for this long: the server does not offer them, and an offer costs a key pair. */
export const SESSION_QUIET_MS = 60_000
/** An offer whose answer never came (a dropped connection) stops blocking new offers after this long. */
const OFFER_STALE_MS = 60_000

/**
 * The sessions of one client instance, in memory only, one per server key:
 * which plan the next request follows, and what the answers establish. At most
 * one offer in flight: requests sent meanwhile go as plain v1, without waiting.
 */
export class SessionKeeper {
  readonly #sessions = new Map<string, ClientSession>()
  /** The offer in flight (undefined while its key pair is being made), and since when. */
  #inFlight: { offer: SessionOffer | undefined; since: number } | undefined
  #quietUntil = 0

  /** The plan for a request to `key` at `origin` (normalized, as sealed in `hto`) at `nowMs`. */
  async plan(key: RecipientKey, origin: string, nowMs: number): Promise<SessionPlan> {
    const session = this.#sessions.get(key.kid)
    if (session !== undefined) {
      if (session.origin === origin && session.exp * 1000 - SESSION_EXPIRY_MARGIN_MS > nowMs) return { kind: 'session', session }
      this.#forget(key.kid, session)
    }
    if (nowMs < this.#quietUntil || (this.#inFlight !== undefined && nowMs - this.#inFlight.since < OFFER_STALE_MS)) return PLAIN
    // Reserved before the key pair is made: requests planned meanwhile must not offer too.
    const inFlight: { offer: SessionOffer | undefined; since: number } = { offer: undefined, since: nowMs }
    this.#inFlight = inFlight
    const offer = await offerSession(key).catch(() => undefined)
    if (offer === undefined) {
      // A backend without ephemeral keys cannot take part: no more offers from this client.
      this.#inFlight = undefined
      this.#quietUntil = Number.POSITIVE_INFINITY
      return PLAIN
    }
    inFlight.offer = offer
    return { kind: 'offer', offer }
  }

  /**
   * The sealed answer to an offer arrived: keep the session it announced
   * (`ses`, authenticated by the answer), or, when it announced none, stop
   * offering for a while. The offer's private key is dropped either way.
   */
  async settle(offer: SessionOffer, announced: unknown, context: { jti: string; origin: string; nowMs: number }): Promise<void> {
    this.release(offer)
    const session = announced === undefined ? undefined : await acceptSession(offer, announced, { jti: context.jti, origin: context.origin, nowSeconds: Math.floor(context.nowMs / 1000) })
    if (session === undefined) this.#quietUntil = context.nowMs + SESSION_QUIET_MS
    else {
      const replaced = this.#sessions.get(session.kid)
      if (replaced !== undefined) this.#forget(session.kid, replaced)
      this.#sessions.set(session.kid, session)
    }
  }

  /** The offer's request was refused or failed: another request may offer. */
  release(offer: SessionOffer): void {
    if (this.#inFlight?.offer === offer) this.#inFlight = undefined
  }

  /** The server no longer knows this session (`unknown_session`): never use it again. */
  drop(session: ClientSession): void {
    if (this.#sessions.get(session.kid) === session) this.#forget(session.kid, session)
  }

  /**
   * Forgets a session and overwrites its secret: forward secrecy holds once both
   * sides have forgotten S. A request already sealing under it holds its own
   * derived key, not S; one that chose it but has not sealed yet finds S erased,
   * is refused (`unknown_session`, never a key derived from the zeros) and is
   * sent as v1.
   */
  #forget(kid: string, session: ClientSession): void {
    this.#sessions.delete(kid)
    session.secret.fill(0)
  }
}
