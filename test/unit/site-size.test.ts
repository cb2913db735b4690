// site-size.ts: the built site measured on disk, and the build log's line against GitHub Pages' 1 GB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { siteFiles } from '../../integrations/clipscope/site-walk.ts';
import { measureSite, PAGES_SITE_LIMIT_BYTES, siteSizeMessage } from '../../integrations/clipscope/site-size.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-site-size-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('measureSite', () => {
  it('counts every file under the folder, thumbnails apart; hard links as files, symbolic links not', async () => {
    const site = join(dir, 'dist');
    await mkdir(join(site, '_clipscope', 'thumbs'), { recursive: true });
    await mkdir(join(site, 'categories', 'a', '1'), { recursive: true });
    await writeFile(join(site, 'index.html'), 'x'.repeat(100));
    await writeFile(join(site, 'categories', 'a', '1', 'index.html'), 'x'.repeat(50));
    await writeFile(join(site, '_clipscope', 'thumbs', 'a-128.webp'), 'x'.repeat(7));
    await link(join(site, '_clipscope', 'thumbs', 'a-128.webp'), join(site, '_clipscope', 'thumbs', 'b-128.webp'));
    await symlink(join(site, 'index.html'), join(site, 'link.html'));
    expect(await measureSite(site)).toEqual({ files: 4, bytes: 164, thumbnailBytes: 14 });
  });

  it('counts folders of more files than it stats at once, and only what lies under the thumbnail folder as thumbnails', async () => {
    const site = join(dir, 'many');
    await mkdir(join(site, '_clipscope', 'thumbs'), { recursive: true });
    await mkdir(join(site, '_clipscope', 'thumbs-not'), { recursive: true });
    for (let i = 0; i < 130; i++) await writeFile(join(site, '_clipscope', 'thumbs', `${i}.webp`), 'x'.repeat(i % 3));
    await writeFile(join(site, '_clipscope', 'thumbs-not', 'a.json'), 'x'.repeat(1000));
    await writeFile(join(site, '_clipscope', 'explore.json'), 'x'.repeat(10));
    // 130 files of 0, 1, 2, 0, 1, 2, … bytes: 43 × 3 + 0 = 129 bytes
    expect(await measureSite(site)).toEqual({ files: 132, bytes: 1139, thumbnailBytes: 129 });
  });
});

describe('siteSizeMessage', () => {
  it('states the size as information up to 1 GB', () => {
    expect(siteSizeMessage({ files: 20527, bytes: 157_200_000, thumbnailBytes: 104_000_000 }, { list: 128, large: 1024 })).toEqual({
      warn: false,
      message: 'Site: 157.2 MB in 20,527 files (thumbnails and large views 104.0 MB)',
    });
    expect(siteSizeMessage({ files: 1, bytes: PAGES_SITE_LIMIT_BYTES, thumbnailBytes: 0 }, { list: 128, large: 1024 }).warn).toBe(false);
  });

  it('warns over 1 GB and says what to change; without list thumbnails it only suggests a smaller large view', () => {
    const over = siteSizeMessage({ files: 203552, bytes: 1_394_300_000, thumbnailBytes: 1_047_000_000 }, { list: 128, large: 1024 });
    expect(over.warn).toBe(true);
    expect(over.message).toContain("1.4 GB in 203,552 files (thumbnails and large views 1.0 GB): over GitHub Pages' limit of 1 GB");
    expect(over.message).toContain('`thumbnails: { list: false }`');
    expect(over.message).toContain('now 1024 px');
    const noList = siteSizeMessage({ files: 9, bytes: 2e9, thumbnailBytes: 1.9e9 }, { list: false, large: 2048 });
    expect(noList.message).not.toContain('list: false');
    expect(noList.message).toContain('now 2048 px');
  });
});

describe('siteFiles', () => {
  it('lists every regular file under the folder, one folder at a time, and leaves out the folders `skip` names', async () => {
    const site = join(dir, 'walk');
    await mkdir(join(site, 'a', 'b'), { recursive: true });
    await mkdir(join(site, 'skipped', 'inner'), { recursive: true });
    await writeFile(join(site, 'top.html'), '');
    await writeFile(join(site, 'a', 'b', 'deep.html'), '');
    await writeFile(join(site, 'skipped', 'inner', 'x.html'), '');
    await symlink(join(site, 'top.html'), join(site, 'a', 'link.html'));
    const seen: string[] = [];
    const asked: string[] = [];
    for await (const [folder, name] of siteFiles(site, (f) => (asked.push(f), f === 'skipped'))) seen.push(join(folder, name));
    expect(seen.sort()).toEqual([join(site, 'a', 'b', 'deep.html'), join(site, 'top.html')]);
    expect(asked.sort()).toEqual(['a', 'a/b', 'skipped']);
  });
});
