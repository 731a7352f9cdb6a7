import { SealwireError } from '@sealwire/core'
import type { IncomingMessage } from 'node:http'

/** Whether something behind Sealwire tried to change the method of an opened request. */
export interface MethodLock {
  readonly violated: boolean
}

/**
 * Pins `req.method` of an opened request to the method its envelope binds
 * (`htm`). Express and Koa route on `req.method`, and a method-override
 * middleware mounted behind Sealwire (`method-override` reading a header, a
 * query parameter or `req.body._method`) rewrites it: the request would reach
 * another method's handler than the one the client sealed.
 * Writing the same method is allowed; any other throws `binding_mismatch`,
 * which the adapter answers sealed in place of whatever was sent meanwhile.
 *
 * @example
 * const lock = lockMethod(req, exchange.claims.htm)
 * // later, when sealing: if (lock.violated) answer exchange.refuse(new SealwireError('binding_mismatch'))
 */
export function lockMethod(req: IncomingMessage, htm: string): MethodLock {
  const lock = { violated: false }
  const method = req.method ?? htm
  Object.defineProperty(req, 'method', {
    configurable: true,
    enumerable: true,
    get: () => method,
    set(value: unknown) {
      if (String(value).toUpperCase() === htm) return
      lock.violated = true
      throw new SealwireError('binding_mismatch', { detail: `The sealed request is bound to ${htm}; re-routing it to another method is refused` })
    },
  })
  return lock
}
