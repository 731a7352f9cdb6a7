import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKoaApp, type KoaExampleOptions } from './app.js'

export interface RunningKoaExample {
  url: string
  close(): Promise<void>
}

/** Serves the Koa example on plain HTTP, on loopback only (see `createKoaApp`). */
export async function startKoaExample(options: KoaExampleOptions & { port?: number } = {}): Promise<RunningKoaExample> {
  const { port = 3000, ...appOptions } = options
  const app = await createKoaApp(appOptions)
  const server = createServer(app.callback())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
