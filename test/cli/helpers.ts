import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import {
  ENVELOPE_HEADER,
  JOSE_MEDIA_TYPE,
  JWKS_PATH,
  KeyRing,
  MemoryReplayStore,
  PROBLEM_MEDIA_TYPE,
  SealwireError,
  openRequest,
  renderProblem,
  replyContextOf,
  sealResponse,
} from '@sealwire/core'
import { run, type CliIo } from '@sealwire/cli'

export interface Result {
  code: number
  stdout: string
  stderr: string
}

export interface InProcessOptions {
  cwd: string
  /** Piped stdin; undefined = a terminal (isTTY), so commands must not wait on it. */
  stdin?: string
  now?: () => number
  env?: Record<string, string>
}

/** Runs `sealwire …` in-process through `run`, with captured streams. */
export async function sw(argv: string[], options: InProcessOptions): Promise<Result> {
  const out: string[] = []
  const err: string[] = []
  const stdin = Object.assign(Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]), { isTTY: options.stdin === undefined })
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin,
    env: options.env ?? {},
    cwd: options.cwd,
    now: options.now ?? (() => Date.now()),
  }
  const code = await run(argv, io)
  return { code, stdout: out.join(''), stderr: err.join('') }
}

/** Runs a program in a child process; stdin is always closed (after `input`), so nothing waits on it. */
export function spawnResult(file: string, args: string[], options: { cwd: string; input?: string; env?: NodeJS.ProcessEnv }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** A stack trace line as Node prints one. */
export const STACK_LINE = /\n\s+at .+\(?.*:\d+:\d+\)?/

/**
 * A minimal Sealwire server over real HTTP on loopback, built from core only
 * (wire protocol v1): serves the JWK Set, opens every other request with a
 * memory replay store and answers the decrypted body sealed; failures after
 * decryption answer sealed, failures before in plain problem+json with a Date.
 */
export async function startSealwireServer(privateJwks: { keys: unknown[] }): Promise<{ origin: string; close: () => Promise<void> }> {
  const keyRing = await KeyRing.from(privateJwks.keys)
  const replayStore = new MemoryReplayStore()
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/'
      if (req.method === 'GET' && url === JWKS_PATH) {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify(keyRing.publicJwks()))
        return
      }
      const body = await readBody(req)
      const headerEnvelope = req.headers[ENVELOPE_HEADER.toLowerCase()]
      const isJose = (req.headers['content-type'] ?? '').split(';')[0]!.trim() === JOSE_MEDIA_TYPE
      const envelope = typeof headerEnvelope === 'string' && body === '' ? headerEnvelope : isJose ? body : undefined
      try {
        if (envelope === undefined) throw new SealwireError('unsupported_media_type')
        const opened = await openRequest(envelope, { keyRing, replayStore, request: { method: req.method ?? 'GET', target: url } })
        const jwe = await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: JSON.stringify({ received: opened.body, htm: opened.claims.htm, htu: opened.claims.htu }) })
        res.writeHead(200, { 'content-type': JOSE_MEDIA_TYPE }).end(jwe)
      } catch (error) {
        const e = error instanceof SealwireError ? error : new SealwireError('internal_error')
        const reply = replyContextOf(error)
        if (reply === undefined) {
          res.writeHead(e.status, { 'content-type': PROBLEM_MEDIA_TYPE, date: new Date().toUTCString() }).end(renderProblem(e))
        } else {
          const jwe = await sealResponse({ reply, status: e.status, contentType: PROBLEM_MEDIA_TYPE, body: renderProblem(e) })
          res.writeHead(e.status, { 'content-type': JOSE_MEDIA_TYPE }).end(jwe)
        }
      }
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A `curl -i`-like dump of a fetch Response, for tests that send with fetch. */
export async function dumpResponse(res: Response): Promise<string> {
  const head = [`HTTP/1.1 ${res.status} ${res.statusText}`]
  res.headers.forEach((value, name) => head.push(`${name}: ${value}`))
  return `${head.join('\r\n')}\r\n\r\n${await res.text()}`
}
