// What a client test needs from a server, whichever adapter runs it.
import type { Clock, KeyRing } from '@sealwire/core'

export interface ServerLogEntry {
  method: string
  url: string
  contentType: string | undefined
  envelopeHeader: boolean
  bodyBytes: number
}

export interface Harness {
  url: string
  keyRing: KeyRing
  /** Every request the server received, JWK Set included, as it arrived. */
  log: ServerLogEntry[]
  jwksRequests(): number
  close(): Promise<void>
}

export interface HarnessOptions {
  /** Shared with the server: rotate keys on it while the server runs. */
  keyRing: KeyRing
  clock?: Clock
  jwksMaxAgeSeconds?: number
  /** Serve HTTPS with this certificate; plain HTTP (loopback only) otherwise. */
  tls?: { key: string; cert: string }
  /** Unsealed static files (the browser test's page and bundle), served before Sealwire. */
  files?: Record<string, { type: string; body: string | Uint8Array }>
}

export type StartServer = (options: HarnessOptions) => Promise<Harness>
