// forEachLimited, the one bounded-concurrency loop (engine/pool.ts).
import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../../integrations/engine/pool.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('forEachLimited', () => {
  it('runs every item once, with its index, never more than `limit` at once, starting in order', async () => {
    const items = Array.from({ length: 20 }, (_, i) => `item-${i}`);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const seen = new Map<number, string>();
    await forEachLimited(items, 3, async (item, i) => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await tick();
      seen.set(i, item);
      running--;
    });
    expect(peak).toBe(3);
    expect(started).toEqual(items.map((_, i) => i));
    expect([...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)).toEqual(items);
  });

  it('reads an iterable one item at a time, as calls start: a generator is never drawn ahead', async () => {
    let drawn = 0;
    function* items() {
      for (let i = 0; i < 10; i++) {
        drawn++;
        yield i;
      }
    }
    const aheadAtStart: number[] = [];
    const got: number[] = [];
    await forEachLimited(items(), 2, async (item, i) => {
      aheadAtStart.push(drawn - i);
      await tick();
      got.push(item);
    });
    expect(got.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // When call i starts, items 0..i have been drawn, and at most the other worker's one more.
    expect(Math.max(...aheadAtStart)).toBeLessThanOrEqual(2);
    await forEachLimited((function* () {})(), 4, async () => {
      throw new Error('no item, no call');
    });
  });

  it.each([0, -2, Number.NaN, 0.5])('runs one at a time for a limit of %s', async (limit) => {
    let running = 0;
    let peak = 0;
    let done = 0;
    await forEachLimited([1, 2, 3], limit, async () => {
      peak = Math.max(peak, ++running);
      await tick();
      running--;
      done++;
    });
    expect([peak, done]).toEqual([1, 3]);
  });

  it('does nothing for no items, and rejects with the error of a call that throws', async () => {
    await forEachLimited([], 4, async () => {
      throw new Error('never called');
    });
    await expect(forEachLimited([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error('two');
    })).rejects.toThrow('two');
  });

  it('starts no new call after one has thrown (the calls already running finish)', async () => {
    const started: number[] = [];
    let finished = 0;
    const run = forEachLimited([0, 1, 2, 3, 4, 5, 6, 7], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, n === 1 ? 20 : 1));
      if (n === 0) throw new Error('zero');
      finished++;
    });
    await expect(run).rejects.toThrow('zero');
    await new Promise((r) => setTimeout(r, 40));
    // 0 fails after 1 ms while 1 is still running; nothing after them starts.
    expect(started).toEqual([0, 1]);
    expect(finished).toBe(1);
  });
});
