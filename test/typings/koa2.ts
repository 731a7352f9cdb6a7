// A Koa 2 app (@types/koa 2) as the README writes it: compiled, never run.
import Koa from 'koa'
import { z } from 'zod'
import type { SealwireServer } from '@sealwire/server'
import { sealwireKoa } from '@sealwire/server/koa'

declare const sealwire: SealwireServer
const Transfer = z.object({ to: z.string().min(1), amount: z.number().positive() })

// The README's shape: separate app.use() calls; ctx.request.body compiles (unknown).
const app = new Koa()
app.use(sealwireKoa(sealwire))
app.use(async (ctx) => {
  const got: unknown = ctx.request.body
  ctx.body = { ok: true, got }
})

// Chained: the schema's output and the claims carry into the next middleware.
const typed = new Koa().use(sealwireKoa(sealwire, { schema: Transfer }))
typed.use(async (ctx, next) => {
  const amount: number = ctx.request.body.amount
  // @ts-expect-error not in the schema
  void ctx.request.body.nope
  const kid: string = ctx.state.sealwire.kid
  ctx.status = 201
  ctx.body = { amount, kid }
  await next()
})
