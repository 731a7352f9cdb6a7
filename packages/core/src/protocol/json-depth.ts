/** Default cap on the nesting of a decrypted body: deep enough for real payloads, far from stack limits. */
export const DEFAULT_MAX_JSON_DEPTH = 64

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d

/** Characters of a string scanned one by one before the rest is searched for its closing quote. */
const SHORT_STRING = 32

/**
 * The index of the quote that closes the string opened at `start`, or the
 * text's length if none does. Keys and short values are scanned character by
 * character; past SHORT_STRING the native `indexOf` jumps from quote to quote,
 * 5–8× faster over a long value (a 1 KiB text field: ~2 µs a request to 0.3 µs).
 */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === BACKSLASH) i++ // an escape: the next character, `"` or `\` included, is content
    else if (c === QUOTE) return i
    else if (i - start > SHORT_STRING) return longStringEnd(text, start, i + 1)
  }
  return text.length
}

/**
 * `stringEnd` from `from` on, in a string opened at `start`: a quote closes it
 * when the run of backslashes right before it is even (`\\"` closes, `\\\"`
 * is an escaped quote). The run is counted back to the opening quote at most,
 * and each run once, so the whole search stays linear.
 */
function longStringEnd(text: string, start: number, from: number): number {
  for (;;) {
    const quote = text.indexOf('"', from)
    if (quote === -1) return text.length
    let run = quote
    while (run - 1 > start && text.charCodeAt(run - 1) === BACKSLASH) run--
    if ((quote - run) % 2 === 0) return quote
    from = quote + 1
  }
}

/**
 * Whether JSON text nests deeper than `max` arrays/objects, by one linear scan
 * of its brackets (string contents skipped), before anything parses it.
 *
 * `JSON.parse` accepts 500 000 levels and spends tens of milliseconds building
 * them (a cheap way to load a server); a handler's own recursive walk
 * (`JSON.stringify`, a validator) would then overflow the stack. This scan
 * allocates nothing and stops at the first level too deep. On text that is not
 * JSON its answer means nothing; the parse that follows refuses that text.
 */
export function jsonTextDepthExceeds(text: string, max: number): boolean {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) i = stringEnd(text, i)
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--
  }
  return false
}

/**
 * JSON text with every array or object below the top level replaced by `0`:
 * `{"rk":"…","body":[[…]]}` becomes `{"rk":"…","body":0}`. Linear, like the
 * scan above; it lets a too-deep request be parsed for its top-level members
 * (its `rk`, to answer it sealed) without parsing the depth itself.
 */
export function topLevelJsonText(text: string): string {
  let out = ''
  let from = 0
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) i = stringEnd(text, i)
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth === 2) out += `${text.slice(from, i)}0`
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth-- === 2) from = i + 1
    }
  }
  return depth >= 2 ? out : out + text.slice(from)
}
