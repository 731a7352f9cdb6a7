/**
 * The names of the micro-benchmarks the runner (run.ts) reads its target
 * ratios from, shared with protocol.bench.ts so a rename cannot silently turn
 * a target into "not measured".
 */
export const GROUP = {
  open: (curve: string, size: string) => `${curve} ${size}: open request (server)`,
  seal: (curve: string, size: string) => `${curve} ${size}: seal request (client)`,
}
export const BENCH = {
  openNode: 'sealwire openRequest (node backend)',
  joseDecrypt: 'jose compactDecrypt alone',
  agreement: 'native key agreement alone (the limit)',
  sumOfParts: 'sum of parts (b64u decode + AES-256-GCM + JSON.parse)',
  sealNode: 'sealwire sealRequest (node backend)',
  joseEncrypt: 'jose CompactEncrypt alone',
} as const

/**
 * Every group runs in rounds (protocol.bench.ts), named `<group> · round <n>`:
 * a target is the median of its per-round ratios, each between benchmarks that
 * ran next to each other, so a slow stretch of the machine moves both sides.
 */
export const inRound = (group: string, round: number): string => `${group} · round ${round}`
export const ROUND_OF_GROUP = /^(.*) · round (\d+)$/
