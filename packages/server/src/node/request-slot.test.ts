import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { requestSlot } from './request-slot.js'

const request = () => new IncomingMessage(new Socket())

describe('requestSlot', () => {
  it('reads back what was set on the same request, and nothing on another', () => {
    const slot = requestSlot<{ n: number }>('test')
    const req = request()
    expect(slot.get(req)).toBeUndefined()
    slot.set(req, { n: 1 })
    expect(slot.get(req)).toEqual({ n: 1 })
    expect(slot.get(request())).toBeUndefined()
    // Two slots never read each other's value.
    expect(requestSlot('test').get(req)).toBeUndefined()
  })

  it('belongs to that one object: not inherited by a derived request, not copied by a spread or Object.assign', () => {
    const slot = requestSlot<string>('test')
    const req = request()
    slot.set(req, 'opened')
    expect(slot.get(Object.create(req) as IncomingMessage)).toBeUndefined()
    expect(slot.get({ ...req } as IncomingMessage)).toBeUndefined()
    expect(slot.get(Object.assign(Object.create(Object.getPrototypeOf(req) as object) as IncomingMessage, req))).toBeUndefined()
  })

  it('stays out of inspect and of what a spread copies', () => {
    const slot = requestSlot<string>('test')
    const req = request()
    slot.set(req, 'exchange-like-state')
    expect(inspect(req, { depth: 0, showHidden: false })).not.toContain('exchange-like-state')
    expect(Object.getOwnPropertySymbols({ ...req }).map((key) => key.description)).not.toContain('test')
  })
})
