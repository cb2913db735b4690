// The one bounded-concurrency loop of the code base (hashing, reading and decoding images, probing
// table paths, making thumbnails, the benchmark). p-limit would do the same, but it is only in
// node_modules as a dependency of Astro, which the engine does not depend on; the loop is six lines.

/**
 * Runs `fn` on every item with at most `limit` calls in flight; items are started in order and the
 * promise resolves when every call has finished. A call that throws rejects the promise with its
 * error, and no new call starts (the calls already running finish); callers that must go on catch
 * inside fn.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Math.min(items.length, Math.max(1, Math.floor(limit) || 1));
  await Promise.all(Array.from({ length: workers }, worker));
}
