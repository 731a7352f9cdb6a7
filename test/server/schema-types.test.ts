/**
 * A route schema's output type reaches the handler on every adapter, for each
 * Standard Schema library of test/server/harness/spec.ts. The assertions are
 * type-level (`expectTypeOf`, `@ts-expect-error`): tsc checks them when
 * test/packaging/typecheck.test.ts compiles test/. At run time each adapter is
 * built with the schema, so an adapter that refused one would fail here too;
 * the HTTP behaviour of the same schemas is in matrix.test.ts.
 */
import { createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
import { withSealwire } from '@sealwire/server/fetch'
import { sealwireKoa } from '@sealwire/server/koa'
import { sealwireLambda } from '@sealwire/server/lambda'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { TYPED_ROUTES } from './harness/spec.js'
import { testKeys } from './helpers/sealing.js'

/** What every schema of TYPED_ROUTES but `/throwing` outputs. */
interface Transfer {
  to: string
  amount: number
}

let server: SealwireServer
beforeAll(async () => {
  server = createSealwireServer({ keys: (await testKeys()).ring, singleInstance: true })
})

describe.each([
  ['zod 4', TYPED_ROUTES['/typed']],
  ['zod 3', TYPED_ROUTES['/typed-zod3']],
  ['valibot', TYPED_ROUTES['/typed-valibot']],
  ['arktype', TYPED_ROUTES['/typed-arktype']],
] as const)('a %s route schema', (_name, schema) => {
  it('types req.body on Express and ctx.request.body on Koa', () => {
    const middleware = sealwireExpress(server, { schema })
    const app = express()
    app.post('/t', middleware, (req, res) => {
      expectTypeOf(req.body).toEqualTypeOf<Transfer>()
      // @ts-expect-error not in the schema
      void req.body.nope
      res.json(req.body)
    })
    const koa = new Koa().use(sealwireKoa(server, { schema }))
    koa.use((ctx) => {
      expectTypeOf(ctx.request.body).toEqualTypeOf<Transfer>()
      ctx.body = ctx.request.body
    })
    expect([typeof middleware, koa.middleware.length]).toEqual(['function', 2])
  })

  it('types request.body on Fastify, request.sealwire.body on fetch and event.sealwire.body on Lambda', async () => {
    const app = Fastify()
    await app.register(sealwireFastify, { server })
    app.post('/t', sealwireRoute(schema, async (request) => {
      expectTypeOf(request.body).toEqualTypeOf<Transfer>()
      return request.body
    }))
    await app.ready()
    expect(app.hasRoute({ method: 'POST', url: '/t' })).toBe(true)
    await app.close()

    const fetchHandler = withSealwire(server, (request) => {
      expectTypeOf(request.sealwire.body).toEqualTypeOf<Transfer>()
      return Response.json(request.sealwire.body)
    }, { schema })
    const lambda = sealwireLambda(server, async (event) => {
      expectTypeOf(event.sealwire.body).toEqualTypeOf<Transfer>()
      return { statusCode: 200, body: event.sealwire.body.to }
    }, { schema })
    expect([typeof fetchHandler, typeof lambda]).toEqual(['function', 'function'])
  })
})
