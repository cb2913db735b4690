import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImageFolder, comparePaths, discoverImages, isImageName } from '../../integrations/engine/discover.ts';
import { hasMkfifo } from '../fixtures/mkfifo.ts';
import { permissionCheckImpossible } from '../unprivileged.ts';

let base: string; // holds root/ and outside/
let root: string;

async function touch(rel: string, content = 'x') {
  await mkdir(join(root, rel, '..'), { recursive: true });
  await writeFile(join(root, rel), content);
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'clipscope-discover-'));
  root = join(base, 'root');
  await mkdir(root);
  await mkdir(join(base, 'outside'));
  await writeFile(join(base, 'outside', 'o.jpg'), 'outside');
  for (const name of ['A.JPG', 'b.Png', 'c.TIFF', 'd.jpeg', 'e.webp', 'f.gif', 'g.avif', 'h.tif', 'sub/deeper/i.jpg']) await touch(name);
  // Names a hostile or just international folder contains.
  for (const name of ['with space.jpg', '😀 smile.jpg', 'é/ü.png', '<script>.jpg', '"quote\'s".png', '\uFFFD.jpg', 'B.jpg', 'a.jpg', 'ä.jpg']) await touch(name);
  // Ignored: hidden files and folders, non-images.
  for (const name of ['.hidden.jpg', '.dir/x.jpg', 'sub/.cache/y.png', 'notes.txt', 'image.jpg.txt', 'README', 'jpg']) await touch(name);
  // A folder named like an image: skipped itself, its contents found.
  await touch('x.jpg/inner.png');
  // Symlinks: inside the root, outside it, a loop, a broken one, a folder loop.
  await symlink('A.JPG', join(root, 'inside-link.jpg'));
  await symlink(join(base, 'outside', 'o.jpg'), join(root, 'out.jpg'));
  await symlink(join(base, 'outside'), join(root, 'outdir'));
  await symlink('loop2.jpg', join(root, 'loop1.jpg'));
  await symlink('loop1.jpg', join(root, 'loop2.jpg'));
  await symlink('missing.png', join(root, 'broken.png'));
  await symlink('..', join(root, 'sub', 'up'));
  await symlink('.', join(root, 'self.jpg'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('discoverImages', () => {
  it('finds every image extension in any letter case, with relative POSIX paths', async () => {
    const { images } = await discoverImages(root);
    const paths = images.map((i) => i.path);
    for (const p of ['A.JPG', 'b.Png', 'c.TIFF', 'd.jpeg', 'e.webp', 'f.gif', 'g.avif', 'h.tif', 'sub/deeper/i.jpg', 'é/ü.png', 'x.jpg/inner.png']) {
      expect(paths).toContain(p);
    }
    for (const image of images) {
      expect(isAbsolute(image.path)).toBe(false);
      expect(image.path).not.toContain('\\');
      expect(isAbsolute(image.absPath)).toBe(true);
      expect(image.absPath.startsWith(root)).toBe(true);
      expect(image.size).toBeGreaterThan(0);
      expect(image.mtimeMs).toBeGreaterThan(0);
    }
  });

  it('keeps Unicode, emoji, spaces, quotes and markup in names as they are', async () => {
    const paths = (await discoverImages(root)).images.map((i) => i.path);
    for (const p of ['with space.jpg', '😀 smile.jpg', '<script>.jpg', '"quote\'s".png', '\uFFFD.jpg']) expect(paths).toContain(p);
  });

  it('ignores hidden files, hidden folders and non-images (neither images nor skipped)', async () => {
    const { images, skipped } = await discoverImages(root);
    const all = [...images.map((i) => i.path), ...skipped.map((s) => s.path)];
    for (const p of ['.hidden.jpg', '.dir/x.jpg', 'sub/.cache/y.png', 'notes.txt', 'image.jpg.txt', 'README', 'jpg']) expect(all).not.toContain(p);
  });

  it('sorts by UTF-8 byte order (code points), not by UTF-16 units or locale', async () => {
    const paths = (await discoverImages(root)).images.map((i) => i.path);
    const order = ['B.jpg', 'a.jpg', 'ä.jpg', '\uFFFD.jpg', '😀 smile.jpg'].map((p) => paths.indexOf(p));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    const bytes = [...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(paths).toEqual(bytes);
  });

  it('is deterministic', async () => {
    const a = await discoverImages(root);
    const b = await discoverImages(root);
    expect(b).toEqual(a);
  });

  it('skips folders named like images with a reason, and searches inside them', async () => {
    const { images, skipped } = await discoverImages(root);
    expect(skipped.find((s) => s.path === 'x.jpg')?.reason).toMatch(/folder named like an image/);
    expect(images.map((i) => i.path)).toContain('x.jpg/inner.png');
    expect(images.map((i) => i.path)).not.toContain('x.jpg');
  });

  it('symlinks: inside the root followed; outside, loops and broken ones skipped with a reason', async () => {
    const { images, skipped } = await discoverImages(root);
    const reason = (p: string) => skipped.find((s) => s.path === p)?.reason;
    expect(images.find((i) => i.path === 'inside-link.jpg')?.absPath).toBe(join(root, 'inside-link.jpg'));
    expect(reason('out.jpg')).toMatch(/outside the image folder/);
    expect(reason('loop1.jpg')).toMatch(/symlink loop/);
    expect(reason('loop2.jpg')).toMatch(/symlink loop/);
    expect(reason('broken.png')).toMatch(/broken symlink/);
    expect(reason('self.jpg')).toMatch(/symlink to a folder/);
    const paths = images.map((i) => i.path);
    expect(paths.some((p) => p.startsWith('outdir/'))).toBe(false);
    expect(paths.some((p) => p.startsWith('sub/up/'))).toBe(false); // the loop "sub/up → .." is not walked
  });

  it('followSymlinks includes targets outside the root, still without walking loops', async () => {
    const { images, skipped } = await discoverImages(root, { followSymlinks: true });
    const paths = images.map((i) => i.path);
    expect(paths).toContain('out.jpg');
    expect(paths).toContain('outdir/o.jpg');
    expect(paths.some((p) => p.startsWith('sub/up/'))).toBe(false);
    expect(skipped.find((s) => s.path === 'loop1.jpg')?.reason).toMatch(/symlink loop/);
    expect(paths.filter((p) => p === 'A.JPG')).toHaveLength(1);
  });

  it.runIf(hasMkfifo())('skips a FIFO named like an image instead of hanging on it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-fifo-'));
    try {
      await writeFile(join(dir, 'ok.png'), 'x');
      execFileSync('mkfifo', [join(dir, 'pipe.jpg')]);
      const { images, skipped } = await discoverImages(dir);
      expect(images.map((i) => i.path)).toEqual(['ok.png']);
      expect(skipped).toEqual([{ path: 'pipe.jpg', reason: expect.stringMatching(/not a regular file/) }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('unreadable files and folders are skipped with a reason', () => {
  // chmod 000 does not stop root, and tests may run as root: then the check runs in a child process
  // as the unprivileged user "nobody" (uid 65534), which the permissions do stop.
  const asRoot = process.getuid?.() === 0;

  async function tree() {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-perm-'));
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'ok.png'), 'x');
    await writeFile(join(dir, 'secret.jpg'), 'x');
    await chmod(join(dir, 'secret.jpg'), 0o000);
    await mkdir(join(dir, 'locked'));
    await writeFile(join(dir, 'locked', 'inner.jpg'), 'x');
    await chmod(join(dir, 'locked'), 0o000);
    return dir;
  }

  async function discoverAsUnprivileged(dir: string) {
    if (!asRoot) return discoverImages(dir);
    const module = new URL('../../integrations/engine/discover.ts', import.meta.url).href;
    const code = `import { discoverImages } from ${JSON.stringify(module)};
      const r = await discoverImages(${JSON.stringify(dir)});
      process.stdout.write(JSON.stringify(r));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: tmpdir() });
    if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
    return JSON.parse(child.stdout) as Awaited<ReturnType<typeof discoverImages>>;
  }

  const discoverModule = new URL('../../integrations/engine/discover.ts', import.meta.url);
  it.skipIf(permissionCheckImpossible(discoverModule))('file without read permission and folder without permission', async () => {
    const dir = await tree();
    try {
      const { images, skipped } = await discoverAsUnprivileged(dir);
      expect(images.map((i) => i.path)).toEqual(['ok.png']);
      expect(skipped).toEqual([
        { path: 'locked', reason: expect.stringMatching(/folder not readable/) },
        { path: 'secret.jpg', reason: expect.stringMatching(/not readable \(permission denied\)/) },
      ]);
    } finally {
      await chmod(join(dir, 'locked'), 0o755);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a root that cannot be used is refused with the path and what to do', () => {
  it('missing', async () => {
    const missing = join(tmpdir(), 'clipscope-no-such-folder-' + process.pid);
    await expect(discoverImages(missing)).rejects.toMatchObject({ name: 'ClipscopeError', kind: 'images', message: `Image folder ${missing} does not exist`, hint: expect.stringMatching(/^Point --images at/) });
  });

  it('names the option that set the folder, the same way checkImageFolder does', async () => {
    const missing = join(tmpdir(), 'clipscope-no-such-folder-' + process.pid);
    const file = join(root, 'A.JPG');
    for (const flag of ['--images-root', 'option images']) {
      const expected = (dir: string) => expect.objectContaining({ kind: 'images', hint: expect.stringMatching(new RegExp(`^Point ${flag} at`)), message: expect.stringContaining(dir) });
      await expect(discoverImages(missing, { flag })).rejects.toEqual(expected(missing));
      await expect(checkImageFolder(missing, flag)).rejects.toEqual(expected(missing));
      await expect(discoverImages(file, { flag })).rejects.toEqual(expected(file));
      await expect(checkImageFolder(file, flag)).rejects.toEqual(expected(file));
    }
    const empty = await mkdtemp(join(tmpdir(), 'clipscope-empty-'));
    try {
      await expect(discoverImages(empty, { flag: 'option images' })).rejects.toMatchObject({ message: expect.stringContaining('No images found'), hint: expect.stringMatching(/^Point option images at/) });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('a file, not a folder', async () => {
    const file = join(root, 'A.JPG');
    await expect(discoverImages(file)).rejects.toMatchObject({ kind: 'images', message: expect.stringContaining(`${file} is not a folder`) });
  });

  it('no images (only hidden files and non-images)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-empty-'));
    try {
      await writeFile(join(dir, '.hidden.jpg'), 'x');
      await writeFile(join(dir, 'notes.txt'), 'x');
      await expect(discoverImages(dir)).rejects.toMatchObject({ kind: 'images', message: expect.stringContaining(`No images found in ${dir}`), hint: expect.stringMatching(/jpg/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('only skipped entries: the message says why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-onlyskip-'));
    try {
      await symlink('nowhere.jpg', join(dir, 'dead.jpg'));
      await expect(discoverImages(dir)).rejects.toThrow(/1 entry was skipped, e\.g\. dead\.jpg: broken symlink/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('helpers', () => {
  it.each([
    ['a.jpg', true],
    ['A.JPEG', true],
    ['x.TiF', true],
    ['x.avif', true],
    ['x.jpg.txt', false],
    ['jpg', false],
    ['x.svg', false],
    ['x.bmp', false],
  ])('isImageName(%j) = %s', (name, expected) => {
    expect(isImageName(name)).toBe(expected);
  });

  it.each([
    ['a', 'b', -1],
    ['b', 'a', 1],
    ['a', 'a', 0],
    ['a', 'ab', -1],
    ['Z', 'a', -1],
    ['\uFFFD', '😀', -1], // JS `<` says the opposite (surrogate 0xD83D < 0xFFFD)
    ['dir/a', 'dir-a', 1], // "/" (0x2F) sorts after "-" (0x2D), byte-wise
  ])('comparePaths(%j, %j) has sign %i', (a, b, sign) => {
    expect(Math.sign(comparePaths(a, b))).toBe(sign);
    expect(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))).toBe(sign);
  });
});
