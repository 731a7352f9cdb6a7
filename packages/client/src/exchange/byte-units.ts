/** A byte count as people read it: `900 bytes`, `14.6 KiB`, `12 MiB` (binary units, one decimal, none when whole). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : bytes < 1024 ** 3 ? [bytes / 1024 ** 2, 'MiB'] : [bytes / 1024 ** 3, 'GiB']
  const rounded = Math.round(value * 10) / 10
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${unit}`
}

/**
 * The plaintext a sealed answer of `envelopeBytes` carries, about: a compact
 * JWE spells its ciphertext (as long as the plaintext) in base64url, 4
 * characters for 3 bytes; the header, IV and tag are a few hundred more.
 * So the default 16 MiB of `maxResponseBytes` holds about 12 MiB of plaintext.
 */
export function plaintextEquivalent(envelopeBytes: number): number {
  return Math.floor((envelopeBytes * 3) / 4)
}
