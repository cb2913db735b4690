// The shard function (engine/shard.ts) and the --shard option: every image in exactly one part,
// parts balanced, stable, and K/N validated with messages that say what K may be.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { COMMAND_LINE, parseClassifyOptions, parseEmbedOptions } from '../../integrations/engine/options.ts';
import { inShard, selectShard, shardOf, shardProblem } from '../../integrations/engine/shard.ts';

const required = { images: 'content/images', dictionary: 'content/dictionary.yaml', model: 'models/demo-colors' };

/** 10,000 pseudo-random sha256 digests, seeded (the hash of "image <i> <seed>"). */
function hashes(n: number, seed = 1): string[] {
  return Array.from({ length: n }, (_, i) => createHash('sha256').update(`image ${i} ${seed}`).digest('hex'));
}

describe('shardOf', () => {
  it.each([
    // first 13 hex digits → integer, modulo N (worked by hand)
    ['0000000000000' + '0'.repeat(51), 4, 0],
    ['0000000000001' + '0'.repeat(51), 4, 1],
    ['0000000000007' + 'f'.repeat(51), 4, 3],
    ['000000000000a' + '0'.repeat(51), 3, 1], // 10 mod 3
    ['fffffffffffff' + '0'.repeat(51), 1, 0],
    ['fffffffffffff' + '0'.repeat(51), 2, 1], // 2^52 − 1 is odd
    ['FFFFFFFFFFFFF' + '0'.repeat(51), 2, 1], // case does not matter
    ['0000000000010' + 'f'.repeat(51), 16, 0], // digits after the 13th do not matter
  ])('%s mod %i = %i', (sha, n, k) => {
    expect(shardOf(sha, n)).toBe(k);
  });

  it('puts every hash in exactly one of N parts, for N = 1 … 12 and 100', () => {
    const all = hashes(2_000);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 12, 100]) {
      const owners = all.map((sha) => Array.from({ length: n }, (_, k) => k).filter((k) => inShard(sha, { index: k, count: n })));
      for (const o of owners) expect(o).toHaveLength(1);
    }
  });

  it('balances 10,000 random hashes: every part within 10 % of N/10,000 for N ≤ 16, and a chi-square test passes', () => {
    const all = hashes(10_000, 7);
    for (const n of [2, 3, 4, 8, 16]) {
      const counts = new Array(n).fill(0);
      for (const sha of all) counts[shardOf(sha, n)]++;
      const expected = all.length / n;
      // Tolerance: 10 % of the expected size; a binomial's standard deviation at N = 16 is 2.4 %.
      for (const c of counts) expect(Math.abs(c - expected) / expected).toBeLessThan(0.1);
      // Pearson's chi-square statistic with N − 1 degrees of freedom below its 99.9 % quantile
      // (N = 16: 37.70; smaller N have smaller quantiles, so the bound 37.70 is lenient for them).
      const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(37.7);
    }
  });

  it('is the first 52 bits of the hash modulo N (computed here independently with BigInt)', () => {
    const all = hashes(100, 3);
    expect(all.map((s) => shardOf(s, 5))).toEqual(all.map((s) => Number(BigInt(`0x${s.slice(0, 13)}`) % 5n)));
  });

  it('refuses a value that is not a hash or a count', () => {
    expect(() => shardOf('xyz', 2)).toThrow(/not a sha256/);
    expect(() => shardOf('0'.repeat(64), 0)).toThrow(/not a shard count/);
  });
});

describe('selectShard', () => {
  it('keeps the part of the images and the skipped files, and the parts add up to the whole', () => {
    const images = hashes(50, 9).map((sha256, i) => ({ path: `img-${i}.jpg`, sha256 }));
    const skipped = Array.from({ length: 20 }, (_, i) => ({ path: `broken-${i}.jpg`, reason: 'empty file' }));
    const logs: string[] = [];
    const parts = [0, 1, 2].map((index) => selectShard({ index, count: 3 }, images, skipped, (m) => logs.push(m)));
    expect(parts.flatMap((p) => p.images.map((i) => i.path)).sort()).toEqual(images.map((i) => i.path).sort());
    expect(parts.flatMap((p) => p.skipped.map((s) => s.path)).sort()).toEqual(skipped.map((s) => s.path).sort());
    expect(logs[0]).toMatch(new RegExp(`^shard 0/3: ${parts[0].images.length} of 50 images`));
    expect(selectShard(null, images, skipped, () => expect.unreachable()).images).toHaveLength(50);
  });
});

describe('the shard option', () => {
  it('parses K/N into { index, count }, and defaults to null (the whole set)', () => {
    expect(parseClassifyOptions({ ...required, shard: '2/5' }, COMMAND_LINE).shard).toEqual({ index: 2, count: 5 });
    expect(parseClassifyOptions({ ...required, shard: { index: 0, count: 1 } }, 'astro.config.mjs').shard).toEqual({ index: 0, count: 1 });
    expect(parseClassifyOptions(required, COMMAND_LINE).shard).toBeNull();
    expect(parseEmbedOptions({ images: 'x', model: 'm', shard: '0/3' }, COMMAND_LINE).shard).toEqual({ index: 0, count: 3 });
  });

  it.each([
    ['4/4', /^Invalid value 4\/4 for --shard: expected K from 0 to 3 in K\/4 \(parts are numbered from 0, as SLURM_ARRAY_TASK_ID with --array=0-3 and Kubernetes' JOB_COMPLETION_INDEX number them\)$/],
    ['1/0', /^Invalid value 1\/0 for --shard: expected a number of parts N from 1 to 1,000,000 in K\/N$/],
    ['-1/4', /^Invalid value -1\/4 for --shard: expected a shard "K\/N" — part K of N/],
    ['1', /^Invalid value 1 for --shard: expected a shard "K\/N"/],
    ['a/b', /^Invalid value a\/b for --shard: expected a shard "K\/N"/],
    ['1.5/4', /^Invalid value 1\.5\/4 for --shard: expected a shard "K\/N"/],
  ])('refuses %s with what K/N must be', (value, message) => {
    try {
      parseClassifyOptions({ ...required, shard: value }, COMMAND_LINE);
      expect.unreachable();
    } catch (e) {
      expect(isClipscopeError(e)).toBe(true);
      expect((e as Error).message).toMatch(message);
    }
  });

  it('names the option by its key outside the command line', () => {
    expect(() => parseClassifyOptions({ ...required, shard: { index: 3, count: 2 } }, 'astro.config.mjs')).toThrow(/for option shard \(in astro.config.mjs\)/);
    expect(shardProblem({ index: 1, count: 2, extra: 1 })).toMatch(/\{ index: K, count: N \}/);
  });
});
