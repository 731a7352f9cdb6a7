/** The media type of a Content-Type value, lowercased, without parameters (RFC 9110 §8.3.1). */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase()
}

/** `application/json` and every `+json` structured suffix (RFC 6839 §3.1), e.g. `application/problem+json`. */
export function isJsonMediaType(contentType: string | null): boolean {
  const type = mediaTypeOf(contentType)
  return type === 'application/json' || type.endsWith('+json')
}
