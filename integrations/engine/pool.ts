// The one bounded-concurrency loop of the code base (hashing, reading and decoding images, probing
// table paths, making thumbnails, the benchmark). p-limit would do the same, but it is only in
// node_modules as a dependency of Astro, which the engine does not depend on; the loop is six lines.

/**
 * Runs `fn` on every item with at most `limit` calls in flight; items are started in order and the
 * promise resolves when every call has finished. A call that throws rejects the promise with its
 * error, and no new call starts (the calls already running finish); callers that must go on catch
 * inside fn. `items` may be any iterable: it is read one item at a time, as calls start (a generator
 * of 200,000 files to publish is never an array).
 */
export async function forEachLimited<T>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let next = 0;
  let failed = false;
  let done = false;
  const worker = async () => {
    while (!failed && !done) {
      const step = iterator.next();
      if (step.done) {
        done = true;
        return;
      }
      const i = next++;
      try {
        await fn(step.value, i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Math.max(1, Math.floor(limit) || 1);
  await Promise.all(Array.from({ length: Array.isArray(items) ? Math.min(items.length, workers) : workers }, worker));
}
