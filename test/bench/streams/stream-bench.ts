/**
 * Sealed streams (docs/PROTOCOL.md §12) in one process, against the ceiling:
 * AES-256-GCM alone over the same bytes in the tightest node:crypto loop (a
 * cipher per 64 KiB chunk, as any record format needs one nonce per chunk),
 * sealing and opening each chunk. Two paths, each as the packages use it:
 *
 * - download: web streams, plaintext → `sealRecordBody` → `openRecordBody`
 *   (each one ReadableStream that pulls from the one before, no pipe: the
 *   sealing side as a web-stream body is sealed, the client's
 *   `Response.body`, which pulls the records itself rather than piping them
 *   through `openRecordStream`);
 * - upload: the calls, `RecordWriter.write` → `RecordReader.feed`, each chunk
 *   the writer hands out fed as it comes (the client's upload body and a Node
 *   server's reader; on node:crypto a record is handed out as its length,
 *   ciphertext and tag, unframed).
 *
 * Ratio target ≥ 0.8× the ceiling's throughput; RSS growth per path < 64 MiB
 * (the whole stream is 256 MiB by default: memory must stay a few records).
 * In rounds, as the other benchmarks: the three back to back in each round
 * (reversed every other round), each ratio the median of its rounds' ratios,
 * so a slow stretch of a shared machine lands on both sides of it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { deriveStreamKey, type StreamDirection } from '@sealwire/core'
import { createRecordReader, createRecordWriter, openRecordBody, sealRecordBody } from '@sealwire/core/stream'

const CHUNK = 64 * 1024
const MiB = 1024 * 1024

export interface StreamPathResult {
  /** Plaintext MB/s (10^6 bytes) through seal and open. */
  mbPerSecond: number
  /** Peak RSS above the start, bytes. */
  rssGrowth: number
}

export interface StreamBenchResult {
  mib: number
  rounds: number
  /** Each path's median round by MB/s, and its largest RSS growth over the rounds. */
  ceiling: StreamPathResult
  download: StreamPathResult
  upload: StreamPathResult
  /** Median over the rounds of each path's MB/s over the ceiling's in the same round. */
  ratios: { download: number; upload: number }
}

/** Runs `body` and measures its plaintext throughput and peak RSS growth (sampled every 10 ms and at the end). */
async function measure(bytes: number, body: () => Promise<number>): Promise<StreamPathResult> {
  ;(globalThis as { gc?: () => void }).gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  const started = performance.now()
  try {
    const done = await body()
    if (done !== bytes) throw new Error(`the stream delivered ${done} bytes of ${bytes}`)
    const seconds = (performance.now() - started) / 1000
    peak = Math.max(peak, process.memoryUsage().rss)
    return { mbPerSecond: bytes / 1e6 / seconds, rssGrowth: peak - before }
  } finally {
    clearInterval(timer)
  }
}

const keyOf = (direction: StreamDirection) => deriveStreamKey(randomBytes(32), randomBytes(16), randomBytes(16).toString('base64url'), direction)

/** The ceiling: per 64 KiB chunk, one AES-256-GCM encryption and one decryption, nothing else. */
function ceiling(chunk: Uint8Array, count: number): Promise<number> {
  const key = randomBytes(32)
  const nonce = Buffer.alloc(12)
  let total = 0
  for (let i = 0; i < count; i++) {
    nonce.writeUInt32BE(i, 7)
    const cipher = createCipheriv('aes-256-gcm', key, nonce)
    const sealed = cipher.update(chunk)
    cipher.final()
    const decipher = createDecipheriv('aes-256-gcm', key, nonce)
    decipher.setAuthTag(cipher.getAuthTag())
    total += decipher.update(sealed).length
    decipher.final()
  }
  return Promise.resolve(total)
}

async function download(chunk: Uint8Array, count: number): Promise<number> {
  const key = await keyOf('response')
  let left = count
  const source = new ReadableStream<Uint8Array>({ pull: (c) => (left-- > 0 ? c.enqueue(chunk) : c.close()) }, { highWaterMark: 0 })
  let total = 0
  const reader = openRecordBody(sealRecordBody(source, key), key).getReader()
  for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length
  return total
}

async function upload(chunk: Uint8Array, count: number): Promise<number> {
  const key = await keyOf('request')
  const writer = createRecordWriter(key)
  const reader = createRecordReader(key)
  let total = 0
  const opened = (plaintext: Uint8Array): void => void (total += plaintext.length)
  const parts: Uint8Array[] = []
  const take = (part: Uint8Array): void => void parts.push(part)
  // As the client's body stream writes and a Node server's request loop reads: a promise only where the platform makes one.
  const feed = async (): Promise<void> => {
    for (const part of parts) {
      const fed = reader.feed(part, opened)
      if (fed !== undefined) await fed
    }
    parts.length = 0
  }
  for (let i = 0; i < count; i++) {
    await writer.write(chunk, take)
    await feed()
  }
  await writer.end(take)
  await feed()
  reader.end()
  return total
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!

/** `mib` MiB through each path in each of `rounds` rounds, after a warm-up of 32 MiB each (the JIT settles). */
export async function runStreams(mib: number, rounds: number): Promise<StreamBenchResult> {
  const chunk = randomBytes(CHUNK)
  const count = (mib * MiB) / CHUNK
  const paths = { ceiling, download, upload }
  for (const warm of Object.values(paths)) await warm(chunk, 512)
  const runs: Record<keyof typeof paths, StreamPathResult[]> = { ceiling: [], download: [], upload: [] }
  for (let round = 1; round <= rounds; round++) {
    const order = Object.keys(paths) as Array<keyof typeof paths>
    if (round % 2 === 0) order.reverse()
    for (const name of order) runs[name].push(await measure(count * CHUNK, () => paths[name](chunk, count)))
  }
  const summary = (results: StreamPathResult[]): StreamPathResult => ({
    mbPerSecond: median(results.map((r) => r.mbPerSecond)),
    rssGrowth: Math.max(...results.map((r) => r.rssGrowth)),
  })
  const ratio = (path: 'download' | 'upload') => median(runs[path].map((r, i) => r.mbPerSecond / runs.ceiling[i]!.mbPerSecond))
  return { mib, rounds, ceiling: summary(runs.ceiling), download: summary(runs.download), upload: summary(runs.upload), ratios: { download: ratio('download'), upload: ratio('upload') } }
}
