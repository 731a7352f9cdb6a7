import Koa from 'koa'
import Koa2 from 'koa2'
import { sealwireKoa } from '@sealwire/server/koa'
import { serveNode } from './listen.js'
import { SECRET, TYPED_ROUTES, type AdapterHarness } from './spec.js'

/** The harness app on one major of Koa (the API it uses is the same in 2 and 3). */
function koaHarnessOf(name: string, KoaApp: typeof Koa): AdapterHarness {
  return {
    name,
    streaming: true,
    trustsProxies: true,
    start(server) {
      const app = new KoaApp()
      app.silent = true // /boom's error is emitted for logging; keep the test output clean
      const typed = new Map(Object.entries(TYPED_ROUTES).map(([path, schema]) => [path, sealwireKoa(server, { schema })]))
      app.use(sealwireKoa(server))
      app.use(async (ctx) => {
        const route = `${ctx.method} ${ctx.path}`
        const withSchema = ctx.method === 'POST' ? typed.get(ctx.path) : undefined
        if (route === 'POST /echo') {
          // ctx.request.body compiles in a separate app.use() (the README's Koa snippet).
          ctx.body = { echo: ctx.request.body, claims: ctx.state.sealwire }
        } else if (route === 'GET /items') {
          ctx.body = { claims: ctx.state.sealwire }
        } else if (ctx.method === 'DELETE' && ctx.path.startsWith('/items/')) {
          ctx.status = 204
        } else if (withSchema !== undefined) {
          await withSchema(ctx as Parameters<typeof withSchema>[0], async () => {
            const body = ctx.request.body as { to: string; amount: number }
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
}

export const koaHarness = koaHarnessOf('koa', Koa)
// Koa 2's application has the same shape at run time; its typings are another copy of @types/koa.
export const koa2Harness = koaHarnessOf('koa 2', Koa2 as unknown as typeof Koa)
