import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The engine and the fetch adapter run on Cloudflare Workers, Deno and Bun:
 * walks every module they import (relative imports) and checks none touches
 * Node built-ins. tsconfig.web.json checks the same at the type level.
 */
const src = dirname(fileURLToPath(import.meta.url))

function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen
  seen.add(entry)
  const text = readFileSync(entry, 'utf8')
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) reachable(resolve(dirname(entry), m[1]!.replace(/\.js$/, '.ts')), seen)
  return seen
}

describe('runtime-neutral modules', () => {
  const files = [...reachable(join(src, 'index.ts')), ...reachable(join(src, 'adapters/fetch.ts'))]

  it('reach no node/ helper', () => {
    expect(files.length).toBeGreaterThan(5)
    expect(files.filter((f) => f.includes('/node/'))).toEqual([])
  })

  it.each(files.map((f) => [f.slice(src.length + 1), f]))('%s uses no Node built-in', (_name, file) => {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    expect(code).not.toMatch(/from 'node:|require\(|\bBuffer\b|\bprocess\./)
  })
})
