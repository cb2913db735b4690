// heap.ts: `astro build` asks V8 for a small heap unless the user chose a heap policy.
import { describe, expect, it } from 'vitest';
import { preferSmallHeap, SMALL_HEAP_FLAG, userChoseHeapPolicy } from '../../integrations/clipscope/heap.ts';

describe('userChoseHeapPolicy', () => {
  it.each([
    [[], false],
    [['--no-warnings', '--enable-source-maps'], false],
    [['--optimize-for-size'], true],
    [['--no-optimize-for-size'], true],
    [['--optimize_for_size'], true],
    [['--max-old-space-size=4096'], true],
    [['--max_old_space_size', '4096'], true],
    [['', '--max-semi-space-size=64'], false],
  ] as const)('%j → %s', (args, chose) => {
    expect(userChoseHeapPolicy(args)).toBe(chose);
  });
});

describe('preferSmallHeap', () => {
  it('sets V8 --optimize-for-size when the user chose nothing', () => {
    const set: string[] = [];
    expect(preferSmallHeap(['--no-warnings'], (f) => set.push(f))).toBe(true);
    expect(set).toEqual([SMALL_HEAP_FLAG]);
    expect(SMALL_HEAP_FLAG).toBe('--optimize-for-size');
  });

  it("keeps the user's choice: a heap limit in NODE_OPTIONS, or the flag's --no- form", () => {
    const set: string[] = [];
    expect(preferSmallHeap(['--max-old-space-size=8192'], (f) => set.push(f))).toBe(false);
    expect(preferSmallHeap(['--no-optimize-for-size'], (f) => set.push(f))).toBe(false);
    expect(set).toEqual([]);
  });
});
