/**
 * Bytes a stretch of code allocates on the V8 heap, for the bench's
 * "bytes allocated per request".
 *
 * V8 keeps no running total of bytes allocated that Node exposes, and the heap's
 * size alone misses whatever was allocated and collected in between (most of a
 * request's garbage dies young, in scavenges). So: allocated = heap growth +
 * bytes collected, where the growth is `used_heap_size` at the end minus at the
 * start, and the bytes collected are, summed over every collection in between,
 * the heap used before it minus after it — from `v8.GCProfiler` (Node 18.15+),
 * which records the heap statistics around each collection. One profiler runs
 * across the whole stretch, so no collection falls between two readings.
 *
 * What it counts: JavaScript objects and strings, and the heap side of Buffers
 * and typed arrays (the object, not its backing store, which lives outside the
 * heap: a Buffer's bytes count as external memory). What it does not: native
 * allocations (OpenSSL's, the HTTP parser's).
 */
import { GCProfiler, getHeapStatistics } from 'node:v8'

/** Starts counting; the function returned stops and gives the bytes allocated since. */
export function countHeapAllocation(): () => number {
  const profiler = new GCProfiler()
  profiler.start()
  const usedBefore = getHeapStatistics().used_heap_size
  return () => {
    const usedAfter = getHeapStatistics().used_heap_size
    const { statistics } = profiler.stop()
    let collected = 0
    for (const gc of statistics) collected += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    return usedAfter - usedBefore + collected
  }
}
