import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashImages, readFailure, sha256File } from '../../integrations/engine/hash.ts';
import type { DiscoveredImage } from '../../integrations/core/types.ts';
import { permissionCheckImpossible } from '../unprivileged.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-hash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<DiscoveredImage> {
  const absPath = join(dir, name);
  await writeFile(absPath, content);
  const s = await stat(absPath);
  return { path: name, absPath, size: s.size, mtimeMs: s.mtimeMs };
}

describe('sha256File', () => {
  // Known answers (FIPS 180-2 test vectors and the empty string).
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ])('sha256 of %j', async (content, expected) => {
    const f = await file(`kv-${content.length}.bin`, content);
    expect(await sha256File(f.absPath)).toBe(expected);
  });

  it('hashes the FIPS long test vector (1,000,000 × "a")', async () => {
    const f = await file('million-a.bin', Buffer.alloc(1_000_000, 'a'));
    expect(await sha256File(f.absPath)).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('streams a file over 16 MiB (the whole-file read limit) to the same hash', async () => {
    const bytes = Buffer.alloc(17 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) % 251;
    const f = await file('big.bin', bytes);
    expect(await sha256File(f.absPath)).toBe(createHash('sha256').update(bytes).digest('hex'));
    const { images } = await hashImages([f]);
    expect(images[0].size).toBe(bytes.length);
  });
});

describe('hashImages', () => {
  it('preserves the input order at any concurrency and returns vanished files as skipped', async () => {
    const images: DiscoveredImage[] = [];
    for (let i = 0; i < 12; i++) images.push(await file(`img-${String(i).padStart(2, '0')}.jpg`, `content ${i} `.repeat(i * 100 + 1)));
    const gone = await file('gone.jpg', 'soon gone');
    await rm(gone.absPath);
    const input = [...images.slice(0, 5), gone, ...images.slice(5)];
    for (const concurrency of [1, 3, 16]) {
      const progress: number[] = [];
      const result = await hashImages(input, { concurrency, onProgress: (done) => progress.push(done) });
      expect(result.images.map((i) => i.path)).toEqual(images.map((i) => i.path));
      expect(result.skipped).toEqual([{ path: 'gone.jpg', reason: 'file vanished after discovery' }]);
      for (const h of result.images) {
        expect(h.sha256).toBe(await sha256File(h.absPath));
        expect(h.size).toBe(images.find((i) => i.path === h.path)!.size);
      }
      expect(progress).toEqual(Array.from({ length: input.length }, (_, i) => i + 1));
    }
  });

  it('the same bytes under two names get the same hash', async () => {
    const a = await file('same-a.png', 'identical bytes');
    const b = await file('same-b.png', 'identical bytes');
    const { images } = await hashImages([a, b]);
    expect(images[0].sha256).toBe(images[1].sha256);
  });

  it('size is the number of bytes hashed, even if the file changed since discovery', async () => {
    const f = await file('grows.jpg', 'short');
    await writeFile(f.absPath, 'much longer now');
    const { images } = await hashImages([f]);
    expect(images[0].size).toBe('much longer now'.length);
  });

  it('a folder in place of a file is skipped', async () => {
    const { images, skipped } = await hashImages([{ path: 'dir.jpg', absPath: dir, size: 0, mtimeMs: 0 }]);
    expect(images).toEqual([]);
    expect(skipped).toEqual([{ path: 'dir.jpg', reason: 'a folder, not an image file' }]);
  });

  it('no images → empty result', async () => {
    expect(await hashImages([])).toEqual({ images: [], skipped: [] });
  });

  it.skipIf(permissionCheckImpossible(new URL('../../integrations/engine/hash.ts', import.meta.url)))('an unreadable file is skipped with "permission denied" (checked as user nobody when running as root)', async () => {
    const f = await file('secret.jpg', 'x');
    await chmod(f.absPath, 0o000);
    await chmod(dir, 0o755);
    let skipped: unknown;
    if (process.getuid?.() === 0) {
      const module = new URL('../../integrations/engine/hash.ts', import.meta.url).href;
      const code = `import { hashImages } from ${JSON.stringify(module)};
        process.stdout.write(JSON.stringify((await hashImages(${JSON.stringify([f])})).skipped));`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: tmpdir() });
      expect(child.status, child.stderr).toBe(0);
      skipped = JSON.parse(child.stdout);
    } else {
      skipped = (await hashImages([f])).skipped;
    }
    expect(skipped).toEqual([{ path: 'secret.jpg', reason: 'file not readable (permission denied)' }]);
  });
});

describe('readFailure', () => {
  it.each([
    ['ENOENT', /vanished/],
    ['EACCES', /permission denied/],
    ['EPERM', /permission denied/],
    ['EISDIR', /folder/],
    ['ELOOP', /loop/],
    ['EIO', /read error \(EIO\)/],
  ])('%s', (code, reason) => {
    expect(readFailure(Object.assign(new Error('x'), { code }))).toMatch(reason);
  });
});
