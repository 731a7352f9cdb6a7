import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, requireSystemProgram } from './system.js'

/**
 * The redis-server binary, or undefined when the suite must skip (loudly on a
 * developer machine; under CI=true a missing binary throws instead).
 *
 * @example
 * const redisBin = findRedisServer()
 * describe.skipIf(redisBin === undefined)('…', () => { … })
 */
export function findRedisServer(): string | undefined {
  return requireSystemProgram('redis-server', 'apt-get install -y redis-server')
}

/**
 * A real, private redis-server on a free loopback port: no persistence, no
 * config file, its own temp directory. Can be stopped (an outage), frozen
 * (a hung Redis that keeps its connections open) and started again on the
 * same port (recovery).
 */
export class RedisServer {
  readonly port: number
  readonly #bin: string
  readonly #dir: string
  readonly #extraArgs: readonly string[]
  #child: ChildProcess | undefined
  #output = ''

  private constructor(bin: string, port: number, dir: string, extraArgs: readonly string[]) {
    this.#bin = bin
    this.port = port
    this.#dir = dir
    this.#extraArgs = extraArgs
  }

  /**
   * Starts a server on a free loopback port and waits until it answers PING.
   * `extraArgs` are more redis-server options, e.g. `['--maxmemory-policy', 'allkeys-lru']`.
   */
  static async start(bin: string, extraArgs: readonly string[] = []): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-redis-'))
    let lastError: unknown
    // A free port can be taken between probing and binding; try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(bin, await freePort(), dir, extraArgs)
      try {
        await server.restart()
        return server
      } catch (error) {
        lastError = error
        await server.stop()
      }
    }
    rmSync(dir, { recursive: true, force: true })
    throw lastError
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
  }

  /**
   * (Re)starts the server on its port and waits until it answers PING. Empty
   * unless `extraArgs` turned persistence on (`--appendonly yes`): then it
   * reloads what it had.
   */
  async restart(): Promise<void> {
    if (this.running) throw new Error('redis-server is already running')
    this.#output = ''
    const child = spawn(
      this.#bin,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.#dir, '--daemonize', 'no', ...this.#extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.#child = child
    child.stdout?.on('data', (chunk: Buffer) => (this.#output += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (this.#output += chunk.toString()))
    // If the test process dies, take the server with it.
    const reap = () => child.kill('SIGKILL')
    process.once('exit', reap)
    child.once('exit', () => process.off('exit', reap))

    const deadline = Date.now() + 10_000
    for (;;) {
      if (!this.running) throw new Error(`redis-server exited while starting on port ${this.port}:\n${this.#output}`)
      if (await ping(this.port)) return
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${this.port} within 10 s:\n${this.#output}`)
      await sleep(20)
    }
  }

  /** Stops the server (SIGTERM; a frozen one is thawed first) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.#child
    if (child === undefined || !this.running) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGCONT')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  /** SIGKILL, no shutdown (a crash), and waits until it has exited. */
  async kill(): Promise<void> {
    const child = this.#child
    if (child === undefined || !this.running) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGKILL')
    await exited
  }

  /** SIGSTOP: the process stays, its sockets stay open, nothing answers — a hung Redis. */
  freeze(): void {
    this.#child?.kill('SIGSTOP')
  }

  /** SIGCONT: undoes `freeze`. */
  thaw(): void {
    this.#child?.kill('SIGCONT')
  }

  /** Stops the server and removes its directory. Call in afterAll. */
  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.#dir, { recursive: true, force: true })
  }
}

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports:
 * three `redis-server --cluster-enabled yes`, joined and given all 16384
 * slots by `redis-cli --cluster create`. Each master can be stopped, frozen
 * and restarted like a single `RedisServer` (it keeps its nodes.conf, so it
 * rejoins with its slots).
 */
export class RedisCluster {
  readonly masters: readonly RedisServer[]

  private constructor(masters: RedisServer[]) {
    this.masters = masters
  }

  /** Starts three masters and waits until `CLUSTER INFO` reports `cluster_state:ok` on each. */
  static async start(bin: string, cli: string, extraArgs: readonly string[] = []): Promise<RedisCluster> {
    const masters: RedisServer[] = []
    try {
      for (let i = 0; i < 3; i++) {
        masters.push(await RedisServer.start(bin, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', ...extraArgs]))
      }
      const cluster = new RedisCluster(masters)
      await run(cli, ['--cluster', 'create', ...masters.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '0', '--cluster-yes'])
      for (const m of masters) {
        await waitFor(async () => (await run(cli, ['-p', String(m.port), 'cluster', 'info'])).includes('cluster_state:ok'), `cluster state ok on ${m.port}`, 20_000)
      }
      return cluster
    } catch (error) {
      for (const m of masters) await m.dispose()
      throw error
    }
  }

  /** Root nodes for node-redis `createCluster({ rootNodes })`. */
  get rootNodes(): { url: string }[] {
    return this.masters.map((m) => ({ url: m.url }))
  }

  async dispose(): Promise<void> {
    for (const m of this.masters) await m.dispose()
  }
}

/** The redis-cli binary (beside redis-server), or undefined when the suite must skip. */
export function findRedisCli(): string | undefined {
  return requireSystemProgram('redis-cli', 'apt-get install -y redis-tools')
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${bin} ${args.join(' ')} exited ${code}:\n${out}`))))
  })
}

/** True when a RESP PING on the port answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let answer = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'))
    socket.on('data', (chunk) => {
      answer += chunk.toString()
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'))
    })
  })
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `condition` every 20 ms until it holds; throws after `ms` (a bound for a hang, not a timing assertion). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}
