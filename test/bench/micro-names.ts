/**
 * The names of the micro-benchmarks the runner (run.ts) reads its target
 * ratios from, shared with protocol.bench.ts so a rename cannot silently turn
 * a target into "not measured".
 */
export const GROUP = {
  open: (curve: string, size: string) => `${curve} ${size}: open request (server)`,
  seal: (curve: string, size: string) => `${curve} ${size}: seal request (client)`,
  sessionClient: (curve: string) => `${curve} 1 KiB: client seal + open per request, session vs v1`,
  sessionServer: (curve: string) => `${curve} 1 KiB: server open per request, session vs v1`,
}
export const BENCH = {
  openNode: 'sealwire openRequest (node backend)',
  joseDecrypt: 'jose compactDecrypt alone',
  agreement: 'native key agreement alone (the limit)',
  sumOfParts: 'sum of parts (b64u decode + AES-256-GCM + JSON.parse)',
  sealNode: 'sealwire sealRequest (node backend)',
  joseEncrypt: 'jose CompactEncrypt alone',
  v1Default: 'v1 (default backend)',
  sessionDefault: 'within a session (default backend)',
  v1Noble: 'v1 (noble)',
  sessionNoble: 'within a session (noble)',
} as const

/**
 * Every group runs in rounds (protocol.bench.ts), named `<group> · round <n>`:
 * a target is the median of its per-round ratios, each between benchmarks that
 * ran next to each other, so a slow stretch of the machine moves both sides.
 */
export const inRound = (group: string, round: number): string => `${group} · round ${round}`
export const ROUND_OF_GROUP = /^(.*) · round (\d+)$/
