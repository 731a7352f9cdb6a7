// examples/koa over real HTTP on loopback (its dev transport: allowInsecureLoopback).
import { startKoaExample } from '../../examples/koa/src/index.js'
import { describeSealedApi } from './support.js'

describeSealedApi('examples/koa', async () => {
  const running = await startKoaExample({ port: 0 })
  return { url: running.url, fetch: globalThis.fetch, close: running.close }
})
