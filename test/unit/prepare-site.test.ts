// prepareSite() with a fixture engine: what the integration publishes, and how it names things.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { prepareSite, removeStagingFolders, publishAssets, removeStaging, type PrepareEffects } from '../../integrations/clipscope/prepare.ts';
import { parseClipscopeOptions } from '../../integrations/clipscope/options.ts';
import { thumbName, webpSize } from '../../integrations/clipscope/thumbnails.ts';
import { escapeHtml, html } from '../../integrations/clipscope/html.ts';
import { standaloneCsp } from '../../integrations/clipscope/standalone.ts';
import { publishableCopy, thumbnail } from '../../integrations/engine/decode.ts';
import { toCsv, toJson } from '../../integrations/engine/results.ts';
import { ClipscopeError } from '../../integrations/engine/errors.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';
import { REPO_ROOT } from '../e2e/helpers.ts';
import { JUDGEMENTS_SCHEMA } from '../../integrations/core/judgements.ts';
import { cameraJpeg } from '../fixtures/camera-jpeg.ts';

/** The text of a file the preparation made (written to its staging folder). */
async function assetText(asset: { file: string } | { data: string | Buffer } | undefined): Promise<string> {
  if (!asset) throw new Error('no such asset');
  return 'file' in asset ? readFile(asset.file, 'utf8') : String(asset.data);
}

// File names cannot hold "/", so markup in names is tags without closing slashes.
const HOSTILE = ['<script>alert(1)<script>.png', 'quote"and\'apos.png', 'emoji 🎉 ünï.png', '..%2F..%2Fetc.png', 'a&amp;b.png'];
let dir: string;
let images: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-prepare-'));
  images = join(dir, 'images');
  await mkdir(join(images, 'sub dir'), { recursive: true });
  const demo = join(REPO_ROOT, 'content', 'images');
  const sources = ['coffee.png', 'horse.png', 'retina.jpg', 'rocket.jpg', 'text.png'];
  for (const [i, name] of HOSTILE.entries()) await copyFile(join(demo, sources[i]), join(images, i % 2 ? join('sub dir', name) : name));
});
afterAll(async () => {
  await removeStagingFolders();
  await rm(dir, { recursive: true, force: true });
});

function effects(log: string[], overrides: Partial<PrepareEffects> = {}): PrepareEffects {
  return {
    log: (m) => log.push(m),
    warn: (m) => log.push(`warn: ${m}`),
    classify: async () => makeRunResult({ imagesDir: images, seed: 'prepare' }),
    makeThumbnail: (file, o) => thumbnail(file, { width: o.width, quality: o.quality }),
    makeOriginal: async (file, o) => publishableCopy(await readFile(file), o),
    readJudgementFiles: async () => ({ files: [], problems: [] }),
    toCsv,
    toJson,
    ...overrides,
  };
}

describe('prepareSite', () => {
  it('logs what happened to every file, names the skipped ones, and warns when results are chance', async () => {
    const options = parseClipscopeOptions({ images, cache: join(dir, 'cache-log'), thumbnails: { list: false } }, { root: dir, env: {} });
    const skipped = Array.from({ length: 7 }, (_, i) => ({ path: `bad-${i}.jpg`, reason: 'truncated file' }));
    const log: string[] = [];
    await prepareSite(options, effects(log, { classify: async () => makeRunResult({ imagesDir: images, seed: 'prepare', skipped }), generatedModel: async () => 'synthetic' }));
    expect(log).toContain('Classified 5 images in 1.5 s: 5 embedded now, 0 from the cache; 7 files skipped: they could not be used as images.');
    expect(log).toContain('warn: Skipped bad-0.jpg: truncated file');
    expect(log).toContain("warn: … and 2 more skipped files (all are listed on the report's Skipped page)");
    expect(log.find((l) => l.startsWith('warn: These results may be no better than chance.'))).toContain('random weights');
  });

  it('publishes thumbnails of shown images, the results and a standalone file with escaped names', async () => {
    const options = parseClipscopeOptions({ images, cache: join(dir, 'cache'), samplesPerCategory: 10, thumbnails: { list: false } }, { root: dir, env: {} });
    const log: string[] = [];
    const { report, assets } = await prepareSite(options, effects(log));

    const paths = [...assets.keys()].sort();
    expect(paths).toContain('downloads/results.csv');
    expect(paths).toContain('downloads/results.json');
    expect(paths).toContain('downloads/2025-01-02-CLIP-Classification.html');
    // Site paths are content-hash names: no user file name ever becomes a path.
    for (const p of paths) expect(p).toMatch(/^(downloads\/[\w.-]+|_clipscope\/thumbs\/[0-9a-f]{24}-\d+\.webp|_clipscope\/explore\.json)$/);

    const sample = report.categories.find((c) => c.sample.length > 0)!;
    const shown = report.result.images[sample.sample[0]];
    const thumb = report.thumbs.sample!.get(shown.sha256)!;
    expect(thumb.src).toBe(`_clipscope/thumbs/${thumbName(shown.sha256, 360, 75)}`);
    expect(Math.max(thumb.width, thumb.height)).toBeLessThanOrEqual(360);

    const standalone = await assetText(assets.get('downloads/2025-01-02-CLIP-Classification.html'));
    expect(standalone).not.toContain('<script>');
    expect(standalone).toContain('&lt;script&gt;alert(1)&lt;script&gt;.png');
    expect(standalone).toContain('quote&quot;and&#39;apos.png');
    expect(standalone).toContain('emoji 🎉 ünï.png');
    expect(standalone).toContain('a&amp;amp;b.png');
    expect(standalone).toMatch(/<img src="data:image\/webp;base64,/);
    expect(standalone).not.toContain(dir);
    expect(log.some((l) => /Thumbnails: \d+ made, 0 reused/.test(l))).toBe(true);

    // A second run reuses every thumbnail from the cache, with the same sizes.
    const again: string[] = [];
    const second = await prepareSite(options, effects(again));
    expect(again.some((l) => /Thumbnails: 0 made, \d+ reused/.test(l))).toBe(true);
    expect(second.report.thumbs).toEqual(report.thumbs);
    // The standalone file's inline thumbnails come from the cached bytes (the others from their headers).
    expect(await assetText(second.assets.get('downloads/2025-01-02-CLIP-Classification.html'))).toBe(standalone);
    const cached = await readdir(join(dir, 'cache', 'thumbs'));
    expect(cached.every((f) => f.endsWith('.webp'))).toBe(true);
  });

  it('writes the files it makes to a staging folder at once, and removeStaging removes it', async () => {
    const options = parseClipscopeOptions({ images, cache: join(dir, 'cache-staging') }, { root: dir, env: {} });
    const { assets, staging } = await prepareSite(options, effects([]));
    const staged = [...assets.values()].filter((a): a is { file: string; type: string } => 'file' in a && a.file.startsWith(staging));
    // results CSV and JSON, the Explore index and the standalone file (this fixture engine hands over
    // no embeddings, so there is no Workbench data).
    expect(staged.map((a) => a.file.slice(staging.length + 1)).sort()).toEqual([
      '_clipscope/explore.json',
      'downloads/2025-01-02-CLIP-Classification.html',
      'downloads/results.csv',
      'downloads/results.json',
    ]);
    expect([...assets.values()].some((a) => 'data' in a)).toBe(false);
    expect(JSON.parse(await assetText(assets.get('downloads/results.json'))).schema).toBe('clipscope.results/v1');
    await removeStaging(staging);
    expect(await stat(staging).catch(() => null)).toBeNull();
  });

  it("removes the staging folders of processes that no longer run, not those of running ones", async () => {
    // Linux pids stop at 4,194,304: this one cannot run. The parent of this test process does.
    const dead = join(tmpdir(), 'clipscope-site-4194305-abcdef');
    const alive = join(tmpdir(), `clipscope-site-${process.ppid}-abcdef`);
    for (const d of [dead, alive]) await mkdir(join(d, 'downloads'), { recursive: true });
    try {
      const { staging } = await prepareSite(parseClipscopeOptions({ images, cache: join(dir, 'cache-staging') }, { root: dir, env: {} }), effects([]));
      await removeStaging(staging);
      expect(await stat(dead).catch(() => null)).toBeNull();
      expect((await stat(alive)).isDirectory()).toBe(true);
    } finally {
      await rm(alive, { recursive: true, force: true });
    }
  });

  it('removes its staging folder when the preparation fails', async () => {
    const before = new Set((await readdir(tmpdir())).filter((f) => f.startsWith(`clipscope-site-${process.pid}-`)));
    const failing = effects([], {
      toJson: () => {
        throw new Error('boom');
      },
    });
    await expect(prepareSite(parseClipscopeOptions({ images, cache: join(dir, 'cache-staging') }, { root: dir, env: {} }), failing)).rejects.toThrow('boom');
    const after = (await readdir(tmpdir())).filter((f) => f.startsWith(`clipscope-site-${process.pid}-`) && !before.has(f));
    expect(after).toEqual([]);
  });

  it('computes the validation statistics once and publishes them beside the results', async () => {
    // The judgement folder must exist; its reading is replaced below.
    const options = parseClipscopeOptions({ images, cache: join(dir, 'cache'), thumbnails: { list: false }, validation: { dir: images } }, { root: dir, env: {} });
    const run = makeRunResult({ imagesDir: images, seed: 'prepare' });
    const [a, b] = run.images;
    const judgement = (img: typeof a, verdict: 'right' | 'wrong') => ({ sha256: img.sha256, path: img.path, predicted: img.category, label: img.label, probability: img.probability, verdict, judgedAt: '2025-03-01T10:00:00.000Z' });
    const file = {
      schema: JUDGEMENTS_SCHEMA as typeof JUDGEMENTS_SCHEMA,
      run: { model: run.run.model.name, modelChecksum: run.run.model.checksum, dictionaryHash: run.run.dictionary.hash },
      coder: 'Ada',
      role: 'coder' as const,
      mode: 'shown' as const,
      exportedAt: '2025-03-01T12:00:00.000Z',
      items: [judgement(a, 'right'), judgement(b, 'wrong')],
      source: 'ada.json',
    };
    const { report, assets } = await prepareSite(options, effects([], { readJudgementFiles: async () => ({ files: [file], problems: [] }) }));
    expect(report.validation?.accuracy).toMatchObject({ successes: 1, n: 2 });
    const json = JSON.parse(await assetText(assets.get('downloads/validation.json')));
    expect(json.schema).toBe('clipscope.validation/v1');
    expect(json.accuracy.sample).toMatchObject({ estimate: 0.5, n: 2 });
    expect(await assetText(assets.get('downloads/validation.csv'))).toMatch(/^figure,subject,estimate,low,high,n,mode,method\n/);
    expect(await assetText(assets.get('downloads/validation-methods.md'))).toContain('## Validation of the automated classification');
    expect(await assetText(assets.get('downloads/results.csv'))).toContain('validated,validated_category');
    // Without judgement files: no validation statistics and no validation downloads.
    const none = await prepareSite(options, effects([]));
    expect(none.report.validation).toBeNull();
    expect([...none.assets.keys()].filter((p) => p.includes('validation'))).toEqual([]);
  });

  it('copies originals of the images shown large only when configured, under hash names', async () => {
    const base = { images, cache: join(dir, 'cache'), samplesPerCategory: 1, thumbnails: { list: false as const } };
    const without = await prepareSite(parseClipscopeOptions(base, { root: dir, env: {} }), effects([]));
    expect([...without.assets.keys()].filter((p) => p.startsWith('_clipscope/originals/'))).toEqual([]);
    const withOriginals = await prepareSite(parseClipscopeOptions({ ...base, copyOriginals: true }, { root: dir, env: {} }), effects([]));
    const originals = Object.values(withOriginals.report.originals);
    const shown = new Set([...withOriginals.report.categories.flatMap((c) => c.sample), ...withOriginals.report.validationSet]);
    expect(originals).toHaveLength(shown.size);
    for (const p of originals) {
      expect(p).toMatch(/^_clipscope\/originals\/[0-9a-f]{24}\.(png|jpg)$/);
      // A copy made in the cache folder, not the user's file.
      expect(withOriginals.assets.get(p)).toMatchObject({ file: expect.stringContaining(join(dir, 'cache', 'originals')), type: p.endsWith('.png') ? 'image/png' : 'image/jpeg' });
    }
  });

  it('publishes originals named by the format of their bytes, without metadata unless asked to keep it', async () => {
    // "evil.html": a valid PNG with a script appended; "photo.jpg": a JPEG with GPS, camera and XMP.
    const own = await mkdtemp(join(tmpdir(), 'clipscope-originals-'));
    const folder = join(own, 'images');
    await mkdir(folder);
    const evil = Buffer.concat([await readFile(join(REPO_ROOT, 'content', 'images', 'coffee.png')), Buffer.from('<script>alert(localStorage.length)</script>')]);
    await writeFile(join(folder, 'evil.png'), evil); // listed by the fixture engine, published as evil.html
    await writeFile(join(folder, 'evil.html'), evil);
    const photo = await cameraJpeg();
    await writeFile(join(folder, 'photo.jpg'), photo);
    const classify = async () => {
      const result = makeRunResult({ imagesDir: folder, seed: 'originals' });
      for (const img of result.images) if (img.path === 'evil.png') img.path = 'evil.html';
      return result;
    };
    try {
      for (const keepMetadata of [false, true]) {
        const log: string[] = [];
        const options = parseClipscopeOptions({ images: folder, cache: join(own, 'cache'), copyOriginals: keepMetadata ? { keepMetadata } : true }, { root: own, env: {} });
        const { report, assets } = await prepareSite(options, effects(log, { classify }));
        const byPath = new Map(report.result.images.map((img) => [img.path, report.originals[img.sha256]]));
        expect(byPath.get('evil.html')).toMatch(/^_clipscope\/originals\/[0-9a-f]{24}\.png$/);
        expect(byPath.get('photo.jpg')).toMatch(/^_clipscope\/originals\/[0-9a-f]{24}\.jpg$/);
        expect(assets.get(byPath.get('evil.html')!)!.type).toBe('image/png');
        expect(assets.get(byPath.get('photo.jpg')!)!.type).toBe('image/jpeg');
        expect(log).toContain(`Originals: 2 made, 0 reused from the cache (metadata ${keepMetadata ? 'kept' : 'removed'})`);

        const out = join(own, `dist-${keepMetadata}`);
        await publishAssets(assets, out);
        const published = await readdir(join(out, '_clipscope', 'originals'));
        expect(published.map((f) => f.replace(/^[0-9a-f]{24}/, '')).sort()).toEqual(['.jpg', '.png']);
        const publishedPhoto = await readFile(join(out, byPath.get('photo.jpg')!));
        const publishedEvil = await readFile(join(out, byPath.get('evil.html')!));
        if (keepMetadata) {
          expect(publishedPhoto.equals(photo)).toBe(true);
          expect(publishedEvil.equals(evil)).toBe(true);
        } else {
          const meta = await sharp(publishedPhoto).metadata();
          expect([meta.exif, meta.xmp, meta.iptc]).toEqual([undefined, undefined, undefined]);
          expect([meta.width, meta.height]).toEqual([80, 120]); // orientation applied
          for (const secret of ['SecretCam', 'Jane Doe']) expect(publishedPhoto.includes(secret)).toBe(false);
          expect(publishedEvil.includes('<script>')).toBe(false);
        }
      }
      // A rebuild takes the copies from the cache.
      const log: string[] = [];
      await prepareSite(parseClipscopeOptions({ images: folder, cache: join(own, 'cache'), copyOriginals: true }, { root: own, env: {} }), effects(log, { classify }));
      expect(log).toContain('Originals: 0 made, 2 reused from the cache (metadata removed)');
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('tells which environment variable set a path the engine refused', async () => {
    const options = parseClipscopeOptions({}, { root: dir, env: { CLIPSCOPE_IMAGES: 'nowhere' } });
    const failing = effects([], {
      classify: async () => {
        throw new ClipscopeError('images', 'Image folder nowhere does not exist', 'Point option images at the folder that holds your images.');
      },
    });
    await expect(prepareSite(options, failing)).rejects.toMatchObject({
      message: 'Image folder nowhere does not exist',
      hint: expect.stringContaining('set by the environment variable CLIPSCOPE_IMAGES'),
    });
  });
});

describe('helpers', () => {
  it('reads the size of a WebP from its header (lossy, lossless, extended)', async () => {
    const src = join(REPO_ROOT, 'content', 'images', 'coffee.png');
    const lossy = await thumbnail(src, { width: 100 });
    expect(webpSize(lossy.data)).toEqual({ width: lossy.width, height: lossy.height });
    const alpha = await thumbnail(join(REPO_ROOT, 'content', 'images', 'horse.png'), { width: 77 });
    expect(webpSize(alpha.data)).toEqual({ width: alpha.width, height: alpha.height });
    expect(webpSize(Buffer.from('not a webp at all, just text....'))).toBeNull();
  });

  it('escapes interpolations and keeps fragments', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const name = '"><img src=x onerror=alert(1)>';
    expect(html`<p title="${name}">${[html`<b>${name}</b>`, 1, null]}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"><b>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</b>1</p>',
    );
  });

  it('gives the standalone file a CSP with only data: images and the hash of its style', () => {
    expect(standaloneCsp('body{}')).toBe(
      "default-src 'none'; img-src data:; style-src 'sha256-fJgEClQWV1hGkK4qHMO0KotTsVnMYMXTq7/suurGyUo='; base-uri 'none'; form-action 'none'",
    );
  });
});
