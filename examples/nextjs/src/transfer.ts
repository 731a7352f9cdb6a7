import { z } from 'zod'

/** The body `POST /api/transfer` accepts, checked after decryption: a violation is a sealed `422 invalid_payload`. */
export const Transfer = z.object({
  to: z.string().min(1, 'must name a recipient'),
  amount: z.number().positive('must be more than 0'),
})
