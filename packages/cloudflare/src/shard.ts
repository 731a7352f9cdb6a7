/**
 * Which of `shards` objects holds a key: FNV-1a (32-bit) of its UTF-16 code
 * units, modulo the count. Stable across isolates and deployments, which is
 * all it must be: every Worker has to ask the same object about the same jti.
 * Not keyed: a client choosing jtis can crowd one shard, which costs that
 * shard throughput, never a replay (each jti is still checked in one place).
 */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % shards
}
