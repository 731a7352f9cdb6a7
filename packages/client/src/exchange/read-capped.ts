/**
 * Reads a response body of at most `maxBytes`, or returns `undefined` — having
 * cancelled the body — when it is larger. `res.text()` would buffer whatever a
 * hostile or broken peer sends (a gigabyte problem "document", an endless
 * chunked JWK Set) before any length check could run.
 *
 * Two gates: a declared `Content-Length` above the cap is refused before a byte
 * is read; otherwise the stream is counted as it arrives (chunked bodies have
 * no length, and a declared one may be a lie or describe the compressed form)
 * and cancelled as soon as the count passes the cap, which closes the
 * connection instead of draining it.
 */
export async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array | undefined> {
  const declared = res.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > maxBytes) {
    cancel(res.body)
    return undefined
  }
  if (res.body === null) return new Uint8Array(0)

  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    length += value.byteLength
    if (length > maxBytes) {
      // Not awaited: a peer that stops sending must not hold us here either.
      void reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(length)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}

/** `readCapped`, decoded as UTF-8 the way `Response.text()` decodes (BOM dropped, invalid bytes replaced). */
export async function readCappedText(res: Response, maxBytes: number): Promise<string | undefined> {
  const bytes = await readCapped(res, maxBytes)
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes)
}

function cancel(body: ReadableStream<Uint8Array> | null): void {
  void body?.cancel().catch(() => undefined)
}
