import { describe, expect, it } from 'vitest'
import { jsonTextDepthExceeds, topLevelJsonText } from './json-depth.js'

const depthOf = (v: unknown): number => (typeof v !== 'object' || v === null ? 0 : 1 + Math.max(0, ...Object.values(v).map(depthOf)))

describe('jsonTextDepthExceeds', () => {
  it('counts arrays and objects, not scalars nor brackets inside strings', () => {
    expect(jsonTextDepthExceeds('42', 0)).toBe(false)
    expect(jsonTextDepthExceeds('{"a":[1,2]}', 2)).toBe(false)
    expect(jsonTextDepthExceeds('{"a":[1,2]}', 1)).toBe(true)
    expect(jsonTextDepthExceeds('[{"a":{"b":null}}]', 2)).toBe(true)
    expect(jsonTextDepthExceeds('["[[[", "\\"[[", "\\\\", {"]]]": "{{{"}]', 2)).toBe(false)
    expect(jsonTextDepthExceeds('["\\\\", [[1]]]', 2)).toBe(true)
  })

  it('agrees with a depth count of the parsed value, at and around the limit', () => {
    const samples = ['[]', '{}', '[[[]]]', '{"a":{"b":[1,{"c":2}]},"d":[]}', '{"__proto__":{"x":[[1]]}}', '[1,[2,[3,[4]]],"x"]', '{"k]":"v\\"[[","n":[["}"]]}']
    for (const text of samples) {
      for (let max = 0; max <= 6; max++) expect(jsonTextDepthExceeds(text, max), `${text} / ${max}`).toBe(depthOf(JSON.parse(text)) > max)
    }
  })

  it('scans 500 000 levels in a few milliseconds, and stops at the first level too deep', () => {
    const deep = '['.repeat(500_000) + ']'.repeat(500_000)
    const started = performance.now()
    expect(jsonTextDepthExceeds(deep, 500_000)).toBe(false)
    expect(jsonTextDepthExceeds(deep, 64)).toBe(true)
    expect(performance.now() - started).toBeLessThan(500)
  })
})

describe('topLevelJsonText', () => {
  it('keeps top-level members and replaces nested containers with 0', () => {
    expect(JSON.parse(topLevelJsonText('{"rk":"a]b","body":[[["x]"]],{}],"n":1,"o":{"p":[]}}'))).toEqual({ rk: 'a]b', body: 0, n: 1, o: 0 })
    expect(JSON.parse(topLevelJsonText(`{"rk":"k","body":${'['.repeat(100_000)}${']'.repeat(100_000)}}`))).toEqual({ rk: 'k', body: 0 })
    expect(topLevelJsonText('"just a string"')).toBe('"just a string"')
  })

  it('leaves unbalanced text unparseable', () => {
    expect(() => JSON.parse(topLevelJsonText('{"rk":"k","body":[[['))).toThrow()
  })
})
