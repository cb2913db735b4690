// The shard benchmark's pure parts: the CLI summary line it reads, and the ratio it reports.
import { describe, expect, it } from 'vitest';
import { parseEmbedSummary, sameItems, shardRatios } from '../../bench/shards.ts';

describe('parseEmbedSummary', () => {
  it('reads the counts from the CLI embed summary', () => {
    expect(parseEmbedSummary('clipscope: …\nEmbedded 1,998 images in 2 min 05 s: 1998 embedded, 0 from the cache, 0 skipped.\n')).toEqual({ images: 1998, embedded: 1998, fromCache: 0 });
    expect(parseEmbedSummary('Embedded 1 image in 0.2 s: 0 embedded, 1 from the cache, 0 skipped.')).toEqual({ images: 1, embedded: 0, fromCache: 1 });
  });
  it('says what it got when the line is missing', () => {
    expect(() => parseEmbedSummary('clipscope: Cannot read --images')).toThrow(/no "Embedded … images" line.*\n.*Cannot read/s);
  });
});

describe('shardRatios', () => {
  const round = (one: number, sharded: number) => ({ one: { seconds: one, cpuSeconds: 0, peakRssMiB: 0 }, sharded: { seconds: sharded, cpuSeconds: 0, peakRssMiB: [], imagesPerShard: [] } });
  it.each([
    // rounds (one, sharded) → ratios, median
    [[[100, 95]], [0.95], 0.95],
    [[[100, 110], [100, 90], [50, 50]], [1.1, 0.9, 1], 1],
    [[[100, 120], [100, 96]], [1.2, 0.96], 1.08],
  ])('%j', (rounds, ratios, median) => {
    const r = shardRatios(rounds.map(([a, b]) => round(a, b)));
    expect(r.ratios).toHaveLength(ratios.length);
    for (const [i, x] of r.ratios.entries()) expect(x).toBeCloseTo(ratios[i], 12);
    expect(r.median).toBeCloseTo(median, 12);
  });
});

describe('sameItems', () => {
  const file = (embedding: number[], seconds: number, path = 'a.jpg') => JSON.stringify({ model: { name: 'm' }, dim: 2, items: [{ path, sha256: 'x', embedding }], skipped: [], stats: { seconds } });
  it('ignores the run time and compares the embeddings bit for bit', () => {
    expect(sameItems(file([0.6, 0.8], 1.2), file([0.6, 0.8], 3.4))).toBe(true);
    expect(sameItems(file([0.6, 0.8], 1), file([0.6, 0.8000000000000002], 1))).toBe(false);
    expect(sameItems(file([0.6, 0.8], 1), file([0.6, 0.8], 1, 'b.jpg'))).toBe(false);
  });
});
