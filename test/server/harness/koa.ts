import Koa from 'koa'
import { sealwireKoa } from '@sealwire/server/koa'
import { serveNode } from './listen.js'
import { SECRET, Transfer, type AdapterHarness } from './spec.js'

export const koaHarness: AdapterHarness = {
  name: 'koa',
  streaming: true,
  trustsProxies: true,
  start(server) {
    const app = new Koa()
    app.silent = true // /boom's error is emitted for logging; keep the test output clean
    const typed = sealwireKoa(server, { schema: Transfer })
    const sealed = app.use(sealwireKoa(server))
    sealed.use(async (ctx) => {
      const route = `${ctx.method} ${ctx.path}`
      if (route === 'POST /echo') {
        ctx.body = { echo: ctx.request.body, claims: ctx.state.sealwire }
      } else if (route === 'GET /items') {
        ctx.body = { claims: ctx.state.sealwire }
      } else if (ctx.method === 'DELETE' && ctx.path.startsWith('/items/')) {
        ctx.status = 204
      } else if (route === 'POST /typed') {
        await typed(ctx as Parameters<typeof typed>[0], async () => {
          const body = (ctx.request as unknown as { body: { to: string; amount: number } }).body
          ctx.status = 201
          ctx.body = { ok: true, to: body.to, amount: body.amount }
        })
      } else if (ctx.path === '/headers') {
        ctx.body = { headers: ctx.headers }
      } else if (route === 'POST /boom') {
        throw new Error(SECRET)
      }
    })
    return serveNode(app.callback())
  },
}
