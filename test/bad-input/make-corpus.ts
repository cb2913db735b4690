// The bad-input corpus: a folder of hostile files and names, GENERATED (sharp and Buffers, never
// hand-placed binaries), with what clipscope must do with each one. The robustness tests run it
// through the CLI and `astro build`:
//
//   import { makeCorpus } from './make-corpus.ts';
//   const corpus = await makeCorpus(dir);   // dir/images is the image root, dir/outside a folder
//                                            // beside it that symlinks point into
//   corpus.cases → [{ path, what, expect: { kind: 'classified' | 'skipped' | 'absent', … } }]
//
// Or by hand: `node test/bad-input/make-corpus.ts /tmp/corpus` writes it and prints the table.
//
// Two kinds of case cannot be made with files alone and use test/bad-input/faults.ts, a module
// preloaded into the clipscope process (`NODE_OPTIONS=--import …/faults.ts`) with the settings in
// `corpus.faultEnv`:
// - files that vanish or change between discovery and decoding: the hook deletes or rewrites them
//   the moment the engine reads them for decoding (after they were found and hashed) — a race,
//   made deterministic;
// - an unreadable file when the tests run as root (root reads a mode-000 file): the hook answers
//   EACCES for it, as the kernel does for any other user. The file is also chmod 000, so a non-root
//   run sees the real thing.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { forEachLimited } from '../../integrations/engine/pool.ts';
import { createRandom } from '../../integrations/core/random.ts';
import { hasMkfifo } from '../fixtures/mkfifo.ts';
import { pngWithHeader } from '../fixtures/png.ts';

export type Expectation =
  /** Classified; `category` is what the demo-colors model must say (when the case is about colour);
   * `display` is the size as a person sees it (EXIF orientation applied). */
  | { kind: 'classified'; category?: string; display?: { width: number; height: number } }
  /** Listed in `skipped` with a reason matching `reason`. */
  | { kind: 'skipped'; reason: RegExp }
  /** Neither classified nor skipped (hidden, not an image, reached only through a link not followed). */
  | { kind: 'absent' };

export interface CorpusCase {
  /** Path relative to the image root, POSIX separators. */
  path: string;
  /** What the case is, in words (for test names and the printed table). */
  what: string;
  expect: Expectation;
}

export interface Corpus {
  /** The image root. */
  root: string;
  /** A folder beside the root that symlinks point into (must never appear in any output). */
  outside: string;
  cases: CorpusCase[];
  /** Paths that hold the same bytes (embedded once, every path listed). */
  duplicates: string[];
  /** EXIF cases: path → orientation tag, and the upright reference each must look like. */
  exif: { upright: string; rotated: { path: string; orientation: number }[]; sideways: string };
  /** Environment for test/bad-input/faults.ts (race and permission cases). */
  faultEnv: Record<string, string>;
  /** Path of the fault hook module, for NODE_OPTIONS=--import. */
  faultHook: string;
}

/** The five categories of the demo dictionary (content/dictionary.yaml) the colour cases aim at. */
export const DEMO = { red: 'Red', blue: 'Blue and cold', grey: 'Black and white', warm: 'Warm and brown', dark: 'Dark' } as const;

type Rgb = [number, number, number];

/** Raw RGB pixels of one colour with a little seeded noise (a flat colour is not a photo). */
function noisyRaw(width: number, height: number, rgb: Rgb, seed: string, channels = 3): Buffer {
  const random = createRandom(seed);
  const raw = Buffer.alloc(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    const n = (random() - 0.5) * 24;
    for (let c = 0; c < channels; c++) raw[i * channels + c] = Math.max(0, Math.min(255, rgb[c % 3] + n));
  }
  return raw;
}

const rawInput = (raw: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4) => sharp(raw, { raw: { width, height, channels } });

function png(width: number, height: number, rgb: Rgb, seed: string): Promise<Buffer> {
  return rawInput(noisyRaw(width, height, rgb, seed), width, height, 3).png().toBuffer();
}

/** Three bands top to bottom (red, green, blue): which way is up is visible, to the model and to a person. */
function bands(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  const colours: Rgb[] = [
    [220, 30, 30],
    [30, 200, 40],
    [30, 40, 220],
  ];
  for (let y = 0; y < height; y++) {
    const c = colours[Math.min(2, Math.floor((3 * y) / height))];
    // A horizontal gradient too, so left and right differ (mirrored orientations are visible).
    for (let x = 0; x < width; x++) raw.set([c[0] * (0.5 + x / (2 * width)), c[1] * (0.5 + x / (2 * width)), c[2] * (0.5 + x / (2 * width))], (y * width + x) * 3);
  }
  return raw;
}

/** A JPEG whose SOF header is rewritten to declare width × height (the scan data stays tiny). */
async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await sharp(noisyRaw(16, 16, [90, 90, 90], 'jpeg bomb'), { raw: { width: 16, height: 16, channels: 3 } }).jpeg().toBuffer());
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF marker in the generated JPEG');
}

/** A valid TIFF whose Compression tag names a scheme libtiff cannot decode (34712, JPEG 2000). */
async function tiffWithUnsupportedCompression(): Promise<Buffer> {
  const tif = Buffer.from(await rawInput(noisyRaw(16, 16, [40, 90, 160], 'tiff'), 16, 16, 3).tiff({ compression: 'none' }).toBuffer());
  const little = tif.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number) => (little ? tif.readUInt16LE(o) : tif.readUInt16BE(o));
  const ifd = little ? tif.readUInt32LE(4) : tif.readUInt32BE(4);
  for (let i = 0; i < u16(ifd); i++) {
    const entry = ifd + 2 + i * 12;
    if (u16(entry) === 259) {
      if (little) tif.writeUInt16LE(34712, entry + 8);
      else tif.writeUInt16BE(34712, entry + 8);
      return tif;
    }
  }
  throw new Error('no Compression tag in the generated TIFF');
}

export interface MakeCorpusOptions {
  /** Make a FIFO named like an image (needs `mkfifo`; default true where it exists). */
  fifo?: boolean;
}

export async function makeCorpus(dir: string, opts: MakeCorpusOptions = {}): Promise<Corpus> {
  const base = resolve(dir);
  const root = join(base, 'images');
  const outside = join(base, 'outside');
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  mkdirSync(outside, { recursive: true });
  const cases: CorpusCase[] = [];
  const put = (path: string, data: Buffer | string) => {
    const file = join(root, ...path.split('/'));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, data);
  };
  const add = (path: string, what: string, expect: Expectation, data?: Buffer | string) => {
    if (data !== undefined) put(path, data);
    cases.push({ path, what, expect });
  };
  const skipped = (reason: RegExp): Expectation => ({ kind: 'skipped', reason });
  const classified = (category?: string): Expectation => ({ kind: 'classified', ...(category ? { category } : {}) });

  // --- Broken files: skipped with a reason, the run goes on --------------------------------------
  const jpeg = await rawInput(noisyRaw(256, 192, [200, 120, 60], 'jpeg'), 256, 192, 3).jpeg({ quality: 90 }).toBuffer();
  const photoPng = await png(256, 192, [200, 120, 60], 'png');
  add('broken/empty.jpg', 'zero bytes', skipped(/empty file \(0 bytes\)/), Buffer.alloc(0));
  add('broken/truncated.jpg', 'JPEG cut in half', skipped(/truncated or corrupt/), jpeg.subarray(0, jpeg.length >> 1));
  add('broken/truncated.png', 'PNG cut in half', skipped(/truncated or corrupt/), photoPng.subarray(0, photoPng.length >> 1));
  add('broken/notes.jpg', 'text with a .jpg extension', skipped(/not an image|unsupported/), 'These are my notes, not a picture.\n');
  add(
    'broken/page.png',
    'HTML (with a script) with a .png extension',
    skipped(/not an image|unsupported/),
    '<!doctype html><html><body><script>alert(1)</script><img src=x onerror=alert(2)></body></html>\n',
  );
  add('broken/document.webp', 'PDF with a .webp extension', skipped(/not an image|unsupported/), '%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  add(
    'broken/drawing.png',
    'SVG with a .png extension (a format clipscope does not read: it could reference other files)',
    skipped(/not an image|unsupported/),
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">' +
      '<rect width="64" height="64" fill="red"/><image xlink:href="../../outside/secret.png" width="64" height="64"/></svg>\n',
  );
  add('broken/unsupported.tif', 'TIFF with a compression libtiff cannot decode', skipped(/unsupported|truncated or corrupt/), await tiffWithUnsupportedCompression());
  add(
    'broken/bomb.png',
    'decompression bomb: 74-byte PNG declaring 50,000 × 50,000',
    skipped(/50000×50000 = 2500 MP, over the 100 MP limit/),
    pngWithHeader(50_000, 50_000, 8, 2, zlib.deflateSync(Buffer.alloc(1024))),
  );
  // A real one: 20,000 × 20,000 one-bit pixels, all black, deflated to ~50 KB (1.2 GB as RGB).
  const bombRows = Buffer.alloc((1 + 20_000 / 8) * 20_000);
  add(
    'broken/bomb-deflate.png',
    'decompression bomb: valid 50 KB PNG of 20,000 × 20,000 pixels',
    skipped(/20000×20000 = 400 MP, over the 100 MP limit/),
    pngWithHeader(20_000, 20_000, 1, 0, zlib.deflateSync(bombRows, { level: 9 })),
  );
  add('broken/bomb.jpg', 'decompression bomb: small JPEG declaring 65,000 × 65,000', skipped(/65000×65000 = 4225 MP, over the 100 MP limit/), await jpegDeclaring(65_000, 65_000));

  // --- Unusual but valid formats: classified -----------------------------------------------------
  const red: Rgb = [210, 25, 25];
  const blue: Rgb = [30, 60, 200];
  add('formats/cmyk.jpg', 'CMYK JPEG (red)', classified(DEMO.red), await rawInput(noisyRaw(96, 64, red, 'cmyk'), 96, 64, 3).toColourspace('cmyk').jpeg().toBuffer());
  add('formats/rgb16.png', '16-bit RGB PNG (red)', classified(DEMO.red), await rawInput(noisyRaw(96, 64, red, 'rgb16'), 96, 64, 3).toColourspace('rgb16').png().toBuffer());
  add('formats/grey16.png', '16-bit greyscale PNG', classified(DEMO.grey), await rawInput(noisyRaw(96, 64, [140, 140, 140], 'grey16'), 96, 64, 3).toColourspace('grey16').png().toBuffer());
  add(
    'formats/grey-alpha.png',
    'greyscale + alpha PNG',
    classified(DEMO.grey),
    await rawInput(
      (() => {
        const raw = noisyRaw(96, 64, [150, 150, 150], 'la', 2);
        for (let i = 1; i < raw.length; i += 2) raw[i] = 255 - ((i >> 1) % 96); // alpha: a gentle ramp
        return raw;
      })(),
      96,
      64,
      2,
    )
      .toColourspace('b-w')
      .png()
      .toBuffer(),
  );
  add('formats/palette.png', 'palette (indexed) PNG (blue)', classified(DEMO.blue), await rawInput(noisyRaw(96, 64, blue, 'palette'), 96, 64, 3).png({ palette: true, colours: 16 }).toBuffer());
  const frames = [await png(64, 64, red, 'frame 1'), await png(64, 64, blue, 'frame 2'), await png(64, 64, blue, 'frame 3')];
  add('formats/animated.gif', 'animated GIF: red first frame, then blue', classified(DEMO.red), await sharp(frames, { join: { animated: true } }).gif().toBuffer());
  add('formats/animated.webp', 'animated WebP: red first frame, then blue', classified(DEMO.red), await sharp(frames, { join: { animated: true } }).webp({ lossless: true }).toBuffer());
  add('formats/one-pixel.png', '1×1 image', classified(), await png(1, 1, red, '1x1'));
  add('formats/strip-10000x10.png', '10,000×10 image', classified(), await png(10_000, 10, blue, 'strip'));
  add('formats/tower-10x10000.png', '10×10,000 image', classified(), await png(10, 10_000, blue, 'tower'));
  add('formats/picture.avif', 'AVIF', classified(), await rawInput(noisyRaw(64, 48, red, 'avif'), 64, 48, 3).avif({ quality: 60 }).toBuffer());
  add('formats/picture.tiff', 'TIFF', classified(), await rawInput(noisyRaw(64, 48, blue, 'tiff'), 64, 48, 3).tiff().toBuffer());
  add('formats/SHOUTING.JPEG', 'upper-case extension .JPEG', classified(), await rawInput(noisyRaw(64, 48, red, 'upper'), 64, 48, 3).jpeg().toBuffer());

  // --- EXIF orientation: the model and the thumbnails see the image as a person does -------------
  // upright: 48 × 96 portrait, bands red/green/blue from the top. Each rotated file stores the
  // pixels turned so that applying its orientation tag gives the upright picture back.
  const W = 48;
  const H = 96;
  const upright = bands(W, H);
  const jpegOpts = { quality: 100, chromaSubsampling: '4:4:4' } as const;
  add('exif/upright.jpg', 'upright reference (no orientation tag)', { kind: 'classified', display: { width: W, height: H } }, await rawInput(upright, W, H, 3).jpeg(jpegOpts).toBuffer());
  // orientation 6 = "rotate 90° clockwise to display": store it turned 90° anticlockwise; 8 the
  // other way; 3 = 180°.
  const rotated: { path: string; orientation: number }[] = [];
  for (const [orientation, storedTurn] of [
    [6, 270],
    [8, 90],
    [3, 180],
  ] as const) {
    const stored = await rawInput(upright, W, H, 3).rotate(storedTurn).raw().toBuffer({ resolveWithObject: true });
    const data = await sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } })
      .jpeg(jpegOpts)
      .withMetadata({ orientation })
      .toBuffer();
    const path = `exif/orientation-${orientation}.jpg`;
    add(path, `EXIF orientation ${orientation} (stored turned, displayed upright)`, { kind: 'classified', display: { width: W, height: H } }, data);
    rotated.push({ path, orientation });
  }
  // The pixels of orientation 6 without the tag: what a decoder that ignores EXIF would see.
  const sideways = await rawInput(upright, W, H, 3).rotate(270).jpeg(jpegOpts).toBuffer();
  add('exif/sideways-untagged.jpg', 'the same pixels as orientation 6, without the tag (shown as stored)', { kind: 'classified', display: { width: H, height: W } }, sideways);

  // --- Hostile names: classified, shown escaped, URLs valid ---------------------------------------
  const names = [
    ['names/UPPER CASE.PNG', 'upper-case name and extension, a space'],
    ['names/two  spaces and trailing space .png', 'double and trailing spaces'],
    ['names/ünïcödé 日本語 Ελληνικά.png', 'Unicode'],
    ['names/emoji 😀🎉👩‍👩‍👧.png', 'emoji (astral, ZWJ sequence)'],
    ['names/<script>alert(1)<script>.png', 'a <script> tag'],
    ['names/<img src=x onerror=alert(1)>.png', 'an <img onerror> tag'],
    [`names/quote"double'single\`back.png`, 'quotes and a backtick'],
    ['names/a..b.png', 'two dots inside a name'],
    ['names/a..%2F..%2Fescape.png', 'an encoded ../ sequence'],
    ['names/%2E%2E%2Fdots.png', 'a percent-encoded ../'],
    ['names/dots....png', 'dots before the extension'],
    ['names/&amp;&lt;entity&gt;.png', 'HTML entities'],
    ['names/100% #hash?query=1&x.png', 'URL-special characters'],
    ['names/=HYPERLINK("http-evil").png', 'a spreadsheet formula'],
    ['=1+2.png', 'a spreadsheet formula at the start of the path (the CSV cell)'],
    ['names/back\\slash.png', 'a backslash'],
    ['names/<i>folder<i> &amp; ..%2F/inside.png', 'markup, an entity and an encoded ../ in a folder name'],
  ] as const;
  let n = 0;
  for (const [path, what] of names) {
    const tint: Rgb = [(40 + n * 37) % 256, (90 + n * 53) % 256, (160 + n * 71) % 256];
    add(path, `name with ${what}`, classified(), await png(40 + n, 32, tint, path));
    n++;
  }

  // --- Things in the folder that are not image files ---------------------------------------------
  mkdirSync(join(root, 'special/folder.jpg'), { recursive: true });
  add('special/folder.jpg', 'a folder named like an image', skipped(/folder named like an image/));
  add('special/folder.jpg/inside.png', 'an image inside a folder named like an image', classified(), await png(32, 32, [120, 60, 20], 'inside folder.jpg'));
  symlinkSync('loop.jpg', join(root, 'special/loop.jpg'));
  add('special/loop.jpg', 'a symlink to itself', skipped(/symlink loop/));
  symlinkSync('loop-b.png', join(root, 'special/loop-a.png'));
  symlinkSync('loop-a.png', join(root, 'special/loop-b.png'));
  add('special/loop-a.png', 'two symlinks pointing at each other', skipped(/symlink loop/));
  add('special/loop-b.png', 'two symlinks pointing at each other', skipped(/symlink loop/));
  symlinkSync('..', join(root, 'special/up'));
  add('special/up', 'a symlink to a parent folder (a folder loop): not walked', { kind: 'absent' });
  symlinkSync('no-such-file.png', join(root, 'special/broken-link.png'));
  add('special/broken-link.png', 'a symlink to nothing', skipped(/broken symlink/));
  writeFileSync(join(outside, 'secret.png'), await png(32, 32, [0, 0, 0], 'outside secret'));
  symlinkSync('../../outside/secret.png', join(root, 'special/outside.png'));
  add('special/outside.png', 'a symlink to a file outside the image folder', skipped(/outside the image folder \(not followed/));
  symlinkSync('../../outside', join(root, 'special/outside-dir'));
  add('special/outside-dir/secret.png', 'a file reached through a symlink to a folder outside the root', { kind: 'absent' });
  symlinkSync('../formats/palette.png', join(root, 'special/inside-link.png'));
  add('special/inside-link.png', 'a symlink to an image inside the root', classified(DEMO.blue));
  put('special/unreadable.png', await png(32, 32, [90, 90, 90], 'unreadable'));
  chmodSync(join(root, 'special/unreadable.png'), 0o000);
  add('special/unreadable.png', 'a file without read permission', skipped(/not readable \(permission denied\)/));
  const wantFifo = opts.fifo ?? true;
  if (wantFifo && hasMkfifo()) {
    execFileSync('mkfifo', [join(root, 'special/pipe.png')]);
    add('special/pipe.png', 'a FIFO named like an image (reading it would hang)', skipped(/not a regular file/));
  }
  add('.hidden.png', 'a hidden file', { kind: 'absent' }, await png(16, 16, red, 'hidden'));
  add('names/..%2F..%2Fescape.png', 'a name starting with ".." (hidden, like every dot file)', { kind: 'absent' }, await png(16, 16, red, 'dot dot'));
  add('.hidden-folder/visible.png', 'a file in a hidden folder', { kind: 'absent' }, await png(16, 16, red, 'hidden folder'));
  add('special/notes.txt', 'a text file', { kind: 'absent' }, 'not an image\n');
  add('special/image.png.txt', 'an image extension that is not the last one', { kind: 'absent' }, 'not an image\n');

  // --- Races: a file that vanishes or changes after it was found and hashed -----------------------
  add('race/vanishes.png', 'deleted between hashing and decoding', skipped(/vanished/), await png(32, 32, red, 'vanishes'));
  add('race/changes.png', 'rewritten between hashing and decoding', skipped(/changed/), await png(32, 32, red, 'changes'));
  const replacement = join(base, 'replacement.png');
  writeFileSync(replacement, await png(32, 32, blue, 'replacement'));

  // --- The same bytes under many names: embedded once, every path listed --------------------------
  const same = await png(48, 40, [200, 200, 40], 'duplicate');
  const duplicates = ['dupes/copy-1.png', 'dupes/a/copy-2.png', 'dupes/b c/copy 3.png', 'dupes/COPY-4.PNG', 'dupes/z/y/x/copy-5.png', 'dupes/<b>copy<b> 6.png'];
  for (const path of duplicates) add(path, 'one of six files with identical bytes', classified(), same);

  const faultHook = join(import.meta.dirname, 'faults.ts');
  const faultEnv = {
    CLIPSCOPE_TEST_FAULTS: JSON.stringify({
      onRead: { 'race/vanishes.png': { unlink: true }, 'race/changes.png': { replaceWith: replacement } },
      deny: ['special/unreadable.png'],
    }),
  };
  return {
    root,
    outside,
    cases,
    duplicates,
    exif: { upright: 'exif/upright.jpg', rotated, sideways: 'exif/sideways-untagged.jpg' },
    faultEnv,
    faultHook,
  };
}

/**
 * `count` small distinct PNGs named img-00000.png … under `dir` (for the kill, disk and load tests):
 * noisy colour fields, each with its own colour, `size` pixels square. Returns the file names.
 */
export async function writeSmallImages(dir: string, count: number, opts: { size?: number; first?: number; concurrency?: number } = {}): Promise<string[]> {
  const size = opts.size ?? 32;
  const first = opts.first ?? 0;
  mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: count }, (_, i) => `img-${String(first + i).padStart(5, '0')}.png`);
  await forEachLimited(names, opts.concurrency ?? 8, async (name, i) => {
    const random = createRandom(`small image ${first + i}`);
    const rgb: Rgb = [Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)];
    writeFileSync(join(dir, name), await png(size, size, rgb, name));
  });
  return names;
}

/** NODE_OPTIONS that preload the fault hook (keeps any NODE_OPTIONS already set). */
export function faultNodeOptions(corpus: Corpus, existing = process.env.NODE_OPTIONS ?? ''): string {
  return `${existing} --import ${JSON.stringify(corpus.faultHook).slice(1, -1)}`.trim();
}

// `node test/bad-input/make-corpus.ts DIR`: write the corpus and print what each case expects.
if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node test/bad-input/make-corpus.ts DIR\n');
    process.exit(2);
  }
  const corpus = await makeCorpus(dir);
  for (const c of corpus.cases) {
    const e = c.expect;
    const outcome = e.kind === 'skipped' ? `skipped ${e.reason}` : e.kind === 'classified' ? `classified${e.category ? ` as ${e.category}` : ''}` : 'absent';
    process.stdout.write(`${JSON.stringify(c.path)}\t${outcome}\t${c.what}\n`);
  }
  process.stdout.write(`\nImage root: ${corpus.root}\nRace and permission cases need: NODE_OPTIONS="--import ${corpus.faultHook}" ${Object.entries(corpus.faultEnv).map(([k, v]) => `${k}='${v}'`).join(' ')}\n`);
  if (!existsSync(corpus.root)) process.exit(1);
}
