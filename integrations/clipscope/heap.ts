// V8's heap policy for `astro build`. By default V8 lets its heap grow to several times what is live
// before it collects, trading memory for speed. A build allocates and drops a lot per image (cache
// reads, scores, thumbnail names, page rendering) while it holds only ~0.5 KB per image, so that
// slack, not the data, set its peak: a warm build of 100,000 images peaked at 1.2 GiB with ~100 MB
// live after a full collection (docs/performance.md, "Peak memory and V8's heap"). With V8's
// `--optimize-for-size` the same build peaks at 0.6–0.7 GiB in about the same time on 2 cores (V8 collects on
// the other core). It is set when the build starts: set later, the heap the engine grew stays.
//
// Not for `clipscope classify`: its peak is lower (578 MiB at 100,000 cached images) and its cold
// embedding loop measured 2–6 % slower with the flag.
//
// V8 reads this flag while it runs, so setting it from inside the process works (Node's
// `v8.setFlagsFromString`; `node --v8-options` documents the flag). A user who chose a heap policy on
// the command line (the flag itself, its `--no-` form, or a heap limit) keeps it.
import { setFlagsFromString } from 'node:v8';

export const SMALL_HEAP_FLAG = '--optimize-for-size';

/** Options that mean the user set the heap policy themselves. */
const USER_CHOICES = ['optimize-for-size', 'optimize_for_size', 'max-old-space-size', 'max_old_space_size'];

/** Whether the node options given already choose a heap policy (`process.execArgv` and NODE_OPTIONS). */
export function userChoseHeapPolicy(nodeArgs: readonly string[]): boolean {
  return nodeArgs.some((arg) => USER_CHOICES.some((choice) => arg.includes(choice)));
}

/**
 * Ask V8 to keep the heap small for the rest of this process (nothing when the user chose a heap
 * policy; setting it again is harmless). Returns whether the flag was set.
 */
export function preferSmallHeap(
  nodeArgs: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)],
  set: (flags: string) => void = setFlagsFromString,
): boolean {
  if (userChoseHeapPolicy(nodeArgs)) return false;
  set(SMALL_HEAP_FLAG);
  return true;
}
