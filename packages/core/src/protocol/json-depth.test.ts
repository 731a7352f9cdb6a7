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

  it('skips long strings whole, escaped quotes and backslash runs included', () => {
    // Past the first 32 characters a string is searched quote to quote: each escape spelled around that point.
    for (const before of [0, 20, 31, 32, 33, 34, 40, 200]) {
      const pad = 'x'.repeat(before)
      // As JS strings: JSON.stringify spells each quote and backslash as an escape, in runs of one to four.
      for (const inner of ['"', '\\', '\\"', '\\\\', '\\\\"', '[[[', ']]"{']) {
        const value = `${pad}${inner}${pad}]{`
        const text = JSON.stringify({ a: value, b: [[value, { c: value }]] })
        for (let max = 0; max <= 4; max++) expect(jsonTextDepthExceeds(text, max), `${text} / ${max}`).toBe(depthOf(JSON.parse(text)) > max)
      }
    }
  })

  it('finds the end of a long string dense with escaped quotes and backslashes', () => {
    // After a jump lands on an escaped quote the scan goes back to one character at a time: each pattern straddles that switch.
    for (const unit of ['\\"', '\\\\\\"', `${'x'.repeat(33)}\\"`, '\\\\', `${'y'.repeat(31)}\\\\\\"[`]) {
      for (const count of [1, 2, 17, 100]) {
        const value = JSON.parse(`"${'x'.repeat(34)}${unit.repeat(count)}"`) as string
        const text = JSON.stringify({ rk: value, body: [[{ v: value }]] })
        for (let max = 0; max <= 4; max++) expect(jsonTextDepthExceeds(text, max), `${unit} × ${count} / ${max}`).toBe(depthOf(JSON.parse(text)) > max)
      }
    }
  })

  it('agrees with a character-by-character scan on any text, JSON or not', () => {
    // The scan as it was before long strings were searched: the reference for every text, even unterminated.
    const reference = (text: string, max: number): boolean => {
      let depth = 0
      for (let i = 0; i < text.length; i++) {
        const c = text[i]
        if (c === '"') {
          for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++
        } else if (c === '[' || c === '{') {
          if (++depth > max) return true
        } else if (c === ']' || c === '}') depth--
      }
      return false
    }
    const alphabet = ['"', '\\', '[', ']', '{', '}', 'x', 'x', 'x', 'x']
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let n = 0; n < 20_000; n++) {
      let text = ''
      // Long plain runs now and then, so that strings cross the 32-character mark with escapes after it.
      for (let i = Math.floor(next() * 120); i > 0; i--) text += next() < 0.1 ? 'x'.repeat(Math.floor(next() * 70)) : alphabet[Math.floor(next() * alphabet.length)]
      for (let max = 0; max <= 3; max++) expect(jsonTextDepthExceeds(text, max), `${JSON.stringify(text)} / ${max}`).toBe(reference(text, max))
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

  it('keeps a long string with escapes whole', () => {
    const value = `${'y'.repeat(40)}"[[\\{${'z'.repeat(40)}\\`
    expect(JSON.parse(topLevelJsonText(JSON.stringify({ rk: value, body: [[value]], n: value })))).toEqual({ rk: value, body: 0, n: value })
  })

  it('leaves unbalanced text unparseable', () => {
    expect(() => JSON.parse(topLevelJsonText('{"rk":"k","body":[[['))).toThrow()
  })
})
