/**
 * Random mutations of a valid Sealwire envelope (JWE compact, RFC 7516 §7.1),
 * as data so that fast-check can shrink a failure to the smallest one and
 * print it: bit flips in any part, edited or deleted protected-header
 * members, truncation, re-encoding (standard base64, padding, inner
 * whitespace), swapped or foreign parts, and a missing or extra part.
 */
import fc from 'fast-check'

export type Mutation =
  | { kind: 'flip-bit'; part: number; at: number; bit: number }
  | { kind: 'replace-char'; at: number; char: string }
  | { kind: 'header-set'; member: string; value: unknown }
  | { kind: 'header-delete'; member: string }
  | { kind: 'truncate'; keep: number }
  | { kind: 're-encode'; part: number; style: 'base64' | 'padded' | 'inner-space' }
  | { kind: 'swap-parts'; a: number; b: number }
  | { kind: 'foreign-part'; part: number }
  | { kind: 'drop-part'; part: number }
  | { kind: 'extra-part'; at: number }
  | { kind: 'trailing-bits'; part: number; bits: number }

const MEMBERS = ['alg', 'enc', 'typ', 'kid', 'iat', 'jti', 'htm', 'htu', 'epk', 'crit', 'zip', 'cty', 'apu', 'apv', 'x5u', 'jku', 'b64', 'hto']
const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Mutations. `headerSafe`: only printable ASCII, for an envelope sent in the
 * `Sealwire-Envelope` header (an HTTP client refuses control characters there).
 */
export function mutationArbitrary(headerSafe = false): fc.Arbitrary<Mutation> {
  const char = headerSafe
    ? fc.constantFrom(...(B64U + '.=+/ ~"{}\\').split(''))
    : fc.oneof(fc.constantFrom(...(B64U + '.=+/ ').split('')), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))
  const value = headerSafe ? fc.jsonValue({ maxDepth: 2 }).filter((v) => /^[\x20-\x7e]*$/.test(JSON.stringify(v) ?? '')) : fc.jsonValue({ maxDepth: 2 })
  return fc.oneof(
    fc.record({ kind: fc.constant('flip-bit' as const), part: fc.integer({ min: 0, max: 4 }), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('replace-char' as const), at: fc.nat(), char }),
    fc.record({ kind: fc.constant('header-set' as const), member: fc.constantFrom(...MEMBERS), value }),
    fc.record({ kind: fc.constant('header-delete' as const), member: fc.constantFrom(...MEMBERS) }),
    fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
    fc.record({ kind: fc.constant('re-encode' as const), part: fc.integer({ min: 0, max: 4 }), style: fc.constantFrom('base64' as const, 'padded' as const, 'inner-space' as const) }),
    fc.record({ kind: fc.constant('swap-parts' as const), a: fc.integer({ min: 0, max: 4 }), b: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('foreign-part' as const), part: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('drop-part' as const), part: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('extra-part' as const), at: fc.integer({ min: 0, max: 5 }) }),
    // Non-canonical base64url: the unused low bits of a part's last character set
    // (RFC 4648 §3.5): the same bytes to a lenient decoder, another string to a strict one.
    fc.record({ kind: fc.constant('trailing-bits' as const), part: fc.integer({ min: 0, max: 4 }), bits: fc.integer({ min: 1, max: 15 }) }),
  )
}

const decode = (part: string) => Buffer.from(part, 'base64url')
const encode = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')

/**
 * Applies a mutation. `donor` is another valid envelope to the same key (its
 * parts are authentic, just not this envelope's).
 */
export function applyMutation(envelope: string, m: Mutation, donor: string): string {
  const parts = envelope.split('.')
  switch (m.kind) {
    case 'flip-bit': {
      const bytes = decode(parts[m.part]!)
      if (bytes.length === 0) {
        parts[m.part] = encode(Uint8Array.of(1 << m.bit))
      } else {
        bytes[m.at % bytes.length]! ^= 1 << m.bit
        parts[m.part] = encode(bytes)
      }
      return parts.join('.')
    }
    case 'replace-char': {
      const at = m.at % envelope.length
      return envelope.slice(0, at) + m.char + envelope.slice(at + 1)
    }
    case 'header-set':
    case 'header-delete': {
      const header = JSON.parse(decode(parts[0]!).toString('utf8')) as Record<string, unknown>
      if (m.kind === 'header-set') header[m.member] = m.value
      else delete header[m.member]
      parts[0] = encode(Buffer.from(JSON.stringify(header)))
      return parts.join('.')
    }
    case 'truncate':
      return envelope.slice(0, m.keep % envelope.length)
    case 're-encode': {
      const bytes = decode(parts[m.part]!)
      const text = parts[m.part]!
      parts[m.part] =
        m.style === 'base64' ? Buffer.from(bytes).toString('base64') : m.style === 'padded' ? text + '='.repeat((4 - (text.length % 4)) % 4 || 4) : `${text.slice(0, 1)} ${text.slice(1)}`
      return parts.join('.')
    }
    case 'swap-parts':
      ;[parts[m.a], parts[m.b]] = [parts[m.b]!, parts[m.a]!]
      return parts.join('.')
    case 'foreign-part':
      parts[m.part] = donor.split('.')[m.part]!
      return parts.join('.')
    case 'drop-part':
      parts.splice(m.part, 1)
      return parts.join('.')
    case 'trailing-bits': {
      const text = parts[m.part]!
      const unused = (6 * text.length) % 8 // 2 or 4 bits for lengths 3 and 2 mod 4
      if (unused === 0 || text.length === 0) return envelope
      const last = B64U.indexOf(text[text.length - 1]!)
      parts[m.part] = text.slice(0, -1) + B64U[(last & ~((1 << unused) - 1)) | (m.bits & ((1 << unused) - 1))]
      return parts.join('.')
    }
    case 'extra-part':
      parts.splice(m.at, 0, parts[Math.min(m.at, 4)]!)
      return parts.join('.')
  }
}

/**
 * Runs per property: small in CI (a few seconds per property), larger for a
 * local soak with `SEALWIRE_FUZZ_RUNS=5000`.
 */
export function fuzzRuns(ciDefault: number): number {
  const env = Number(process.env.SEALWIRE_FUZZ_RUNS)
  return Number.isInteger(env) && env > 0 ? env : ciDefault
}

/** `SEALWIRE_FUZZ_SEED` replays a reported failure; otherwise fast-check picks a seed and prints it on failure. */
export function fuzzSeed(): number | undefined {
  const env = Number(process.env.SEALWIRE_FUZZ_SEED)
  return Number.isInteger(env) ? env : undefined
}
