/**
 * Whether a session secret has been erased: overwritten with zeros when its
 * session is forgotten (a session's S is never changed in place otherwise).
 * Nothing is ever derived from an erased secret: HKDF of 32 zero bytes is a
 * key anyone can compute.
 */
export function isErasedSecret(secret: Uint8Array): boolean {
  let bits = 0
  for (let i = 0; i < secret.length; i++) bits |= secret[i]!
  return bits === 0
}

/** The refusal for an erased secret: never a derivation from its zeros. */
export const erasedSecretError = () => new Error('the session secret was erased: its session is over')
