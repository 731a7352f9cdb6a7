import { withSealwire } from '@sealwire/server/fetch'
import { sealwire } from '../../../src/sealwire'
import { Transfer } from '../../../src/transfer'

export const dynamic = 'force-dynamic'

export const POST = withSealwire(
  sealwire,
  (request) => {
    // Validated by the schema after decryption (else a sealed 422), and typed from it.
    const { to, amount } = request.sealwire.body
    void [to, amount] // a real app would move the money here
    return Response.json({ ok: true })
  },
  { schema: Transfer },
)
