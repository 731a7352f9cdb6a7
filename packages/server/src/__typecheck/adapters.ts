// Type-level checks: compiled by `tsc -p tsconfig.json`, never run.
import express from 'express'
import Koa from 'koa'
import Fastify from 'fastify'
import { z } from 'zod'
import { createSealwireServer } from '../index.js'
import { sealwireExpress } from '../adapters/express.js'
import { sealwireKoa } from '../adapters/koa.js'
import { sealwireFastify, sealwireRoute } from '../adapters/fastify.js'
import { withSealwire } from '../adapters/fetch.js'
import { sealwireLambda } from '../adapters/lambda.js'

const Transfer = z.object({ to: z.string(), amount: z.number() })
const server = createSealwireServer({ keys: [] as unknown[] })

const app = express()
app.post('/x/:id', sealwireExpress(server, { schema: Transfer }), (req, res) => {
  const amount: number = req.body.amount
  const id: string | undefined = req.params.id // ParamsDictionary, as with any typed-body middleware
  // @ts-expect-error not in the schema
  req.body.nope
  const kid: string = res.locals.sealwire.kid // typed as set on a route with sealwireExpress in its chain
  res.json({ amount, id, kid, claims: req.sealwire?.kid })
})

const koa = new Koa().use(sealwireKoa(server, { schema: Transfer }))
koa.use((ctx) => {
  const amount: number = ctx.request.body.amount
  ctx.body = { amount, kid: ctx.state.sealwire.kid }
})

// The README's shape: separate app.use() calls, so Koa's types cannot carry ours;
// ctx.request.body still compiles (unknown), no body parser needed.
const koa2 = new Koa()
koa2.use(sealwireKoa(server))
koa2.use(async (ctx) => {
  const got: unknown = ctx.request.body
  ctx.body = { ok: true, got }
})

const f = Fastify()
void f.register(sealwireFastify, { server })
f.post('/t', sealwireRoute(Transfer, async (request) => {
  const to: string = request.body.to
  // @ts-expect-error not in the schema
  request.body.nope
  const kid: string = request.sealwire.kid // set on a sealwireRoute
  return { to, kid }
}))

export const fetchHandler = withSealwire(server, (request) => Response.json({ to: request.sealwire.body.to }), { schema: Transfer })
export const workers = withSealwire(server, (request: Request, env: { DB: string }) => new Response(env.DB + request.url))
void workers(new Request('https://x'), { DB: 'd' })

export const lambda = sealwireLambda(server, async (event) => ({ statusCode: 200, body: event.sealwire.body.to }), { schema: Transfer })
