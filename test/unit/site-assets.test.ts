// The compact thumbnail sets (report/thumb-set.ts) and the site's asset list (site-assets.ts): what a
// 100,000-image build holds instead of an object and two path strings per thumbnail.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ThumbSet, thumbName, THUMBS_DIR } from '../../integrations/clipscope/report/thumb-set.ts';
import { SiteAssets } from '../../integrations/clipscope/site-assets.ts';

const sha = (n: number) => n.toString(16).padStart(64, '0');

describe('ThumbSet', () => {
  it('gives each image its path (named by sha256, box and quality) and pixel size back', () => {
    const set = new ThumbSet(320, 75);
    set.add(sha(1), 320, 213);
    set.add(sha(2), 16383, 1);
    expect(set.get(sha(1))).toEqual({ src: `${THUMBS_DIR}/${thumbName(sha(1), 320, 75)}`, width: 320, height: 213 });
    expect(set.get(sha(2))).toMatchObject({ width: 16383, height: 1 });
    expect(set.get(sha(3))).toBeUndefined();
    expect(set.has(sha(2))).toBe(true);
    expect(set.size).toBe(2);
    expect(thumbName(sha(1), 320, 75)).not.toBe(thumbName(sha(1), 320, 80));
    expect(thumbName(sha(1), 320, 75)).toMatch(/^[0-9a-f]{24}-320\.webp$/);
  });

  it.each([
    [0, 10],
    [10, 16384],
    [1.5, 10],
    [Number.NaN, 10],
  ])('refuses a size no WebP has: %s × %s', (width, height) => {
    expect(() => new ThumbSet(320, 75).add(sha(1), width, height)).toThrow(/not a WebP size/);
  });
});

describe('SiteAssets', () => {
  const cache = join('/cache', 'thumbs');
  const list = new ThumbSet(160, 75);
  const sample = new ThumbSet(160, 75); // the same box as list: the same files
  const large = new ThumbSet(1024, 75);
  for (const n of [1, 2, 3]) list.add(sha(n), 160, 100);
  for (const n of [2, 4]) sample.add(sha(n), 160, 100);
  for (const n of [1, 4]) large.add(sha(n), 1024, 640);
  const assets = new SiteAssets();
  assets.set('downloads/results.csv', { file: '/staging/downloads/results.csv', type: 'text/csv' });
  assets.addThumbnails(cache, [list, sample, large]);

  it('lists every file once: two roles of one size share their thumbnails', () => {
    const paths = [...assets.keys()];
    const names = [...[1, 2, 3, 4].map((n) => thumbName(sha(n), 160, 75)), ...[1, 4].map((n) => thumbName(sha(n), 1024, 75))];
    expect(paths.sort()).toEqual(['downloads/results.csv', ...names.map((n) => `${THUMBS_DIR}/${n}`)].sort());
    expect(assets.size).toBe(7);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('a thumbnail is the cached file of the same name; lookups by site path find files and thumbnails', () => {
    const name = thumbName(sha(4), 1024, 75);
    expect(assets.get(`${THUMBS_DIR}/${name}`)).toEqual({ file: join(cache, name), type: 'image/webp' });
    expect(assets.get('downloads/results.csv')).toEqual({ file: '/staging/downloads/results.csv', type: 'text/csv' });
    expect(assets.has(`${THUMBS_DIR}/${thumbName(sha(3), 1024, 75)}`)).toBe(false); // no large view of image 3
    expect(assets.get(`${THUMBS_DIR}/../../etc/passwd`)).toBeUndefined();
    expect(Object.fromEntries(assets)[`${THUMBS_DIR}/${name}`]).toEqual({ file: join(cache, name), type: 'image/webp' });
  });
});
