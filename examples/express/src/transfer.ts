import { z } from 'zod'

/**
 * The body `POST /api/transfer` accepts. Checked after decryption (server
 * check 11): a violation is answered `422 invalid_payload`, sealed, with the
 * paths and messages of the issues but never the values sent.
 */
export const Transfer = z.object({
  to: z.string().min(1, 'must name a recipient'),
  amount: z.number().positive('must be more than 0'),
})

export type Transfer = z.infer<typeof Transfer>
