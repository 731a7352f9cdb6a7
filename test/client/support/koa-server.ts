// The client tests' server through @sealwire/server's Koa adapter.
import { sealwireKoa } from '@sealwire/server/koa'
import Koa from 'koa'
import { routes } from './app.js'
import type { Harness, HarnessOptions, ServerLogEntry } from './harness.js'
import { listen, logEntry, refuseFiles, sealwireServer } from './listen.js'

/** App-wide `sealwireKoa`, per-route schemas through a second `sealwireKoa` behind it. */
export async function startKoaServer(options: HarnessOptions): Promise<Harness> {
  refuseFiles(options, 'Koa')
  const log: ServerLogEntry[] = []
  const sealwire = await sealwireServer(options)
  const perRoute = new Map(
    Object.entries(routes)
      .filter(([, route]) => route.schema !== undefined)
      .map(([key, route]) => [key, sealwireKoa(sealwire, { schema: route.schema! })]),
  )

  const app = new Koa()
  app.silent = true
  app.use(async (ctx, next) => {
    log.push(logEntry(ctx.req))
    await next()
  })
  app.use(sealwireKoa(sealwire))
  app.use(async (ctx) => {
    const key = `${ctx.method} ${ctx.path}`
    const route = routes[key]
    if (route === undefined) return // Koa's 404, sealed by the adapter
    const run = async () => {
      const url = new URL(ctx.originalUrl, 'http://x')
      const answer = await route.handle({
        method: ctx.method,
        target: ctx.originalUrl,
        query: url.searchParams,
        body: (ctx.request as unknown as { body: unknown }).body,
        crv: (ctx.state as { sealwire: { crv: string } }).sealwire.crv,
      })
      ctx.status = answer.status
      if (answer.body !== '') {
        ctx.type = answer.type
        ctx.body = Buffer.from(answer.body)
      }
    }
    const typed = perRoute.get(key)
    if (typed === undefined) await run()
    else await typed(ctx as Parameters<typeof typed>[0], run)
  })
  return listen(app.callback(), options, log)
}
