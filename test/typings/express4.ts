// An Express 4 app (@types/express 4) as the README writes it: compiled, never run.
import express from 'express'
import { z } from 'zod'
import type { SealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'

declare const sealwire: SealwireServer
const Transfer = z.object({ to: z.string().min(1), amount: z.number().positive() })

const app = express()
app.use(sealwireExpress(sealwire))
app.post('/api/transfer', sealwireExpress(sealwire, { schema: Transfer }), (req, res) => {
  const amount: number = req.body.amount
  // @ts-expect-error not in the schema
  void req.body.nope
  const kid: string = res.locals.sealwire.kid // typed as set on a route with sealwireExpress in its chain
  const claims: string | undefined = req.sealwire?.htm // app-wide: optional, Express cannot tell the routes
  res.status(201).json({ ok: true, to: req.body.to, amount, kid, claims })
})
app.get('/api/me', (req, res) => {
  res.json({ kid: req.sealwire?.kid })
})
// Behind a router and with an error handler, as Express 4 apps mount them.
const router = express.Router()
router.use(sealwireExpress(sealwire))
router.put('/items/:id', sealwireExpress(sealwire, { schema: Transfer }), (req, res, next) => {
  if (req.body.amount > 10) return next(new Error('too much'))
  res.json({ id: req.params.id, to: req.body.to })
})
app.use('/v1', router)
app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(500).json({ error: err.message })
})
