// The files a build publishes besides its pages, by site path: the files the preparation wrote to its
// staging folder (results, Explore index, Workbench data, …) or found in the cache (originals), one
// entry each; and the cached thumbnails, which are not one entry each. A build of 100,000 images
// publishes 200,000 thumbnails, and a path string, a file string and an object apiece were ~60 MB of
// heap held through the whole build; here they are the report's ThumbSets and the cache folder,
// and their paths are made while publishing.
import { join } from 'node:path';
import { THUMBS_DIR, type ThumbSet } from './report/thumb-set.ts';

/** A file the site publishes: bytes in memory or a file to copy. */
export type SiteAsset = { data: string | Buffer; type: string } | { file: string; type: string };

const WEBP = 'image/webp';
/** What #thumbFiles yields when it only counts. */
const UNNAMED: [string, string] = ['', ''];

export class SiteAssets implements Iterable<[string, SiteAsset]> {
  readonly #files = new Map<string, SiteAsset>();
  /** Thumbnail sets and the cache folder their files are in. */
  readonly #thumbs: { dir: string; sets: ThumbSet[] }[] = [];
  #thumbCount: number | null = 0;
  /** Thumbnail site path → file, made on the first lookup of one (the dev server's requests). */
  #thumbIndex: Map<string, string> | null = null;

  set(sitePath: string, asset: SiteAsset): this {
    this.#files.set(sitePath, asset);
    return this;
  }

  /** The thumbnails of `sets`, whose files are `dir/<name>`; published as `THUMBS_DIR/<name>`. */
  addThumbnails(dir: string, sets: readonly ThumbSet[]): void {
    this.#thumbs.push({ dir, sets: [...sets] });
    this.#thumbCount = null;
    this.#thumbIndex = null;
  }

  get size(): number {
    if (this.#thumbCount === null) {
      let count = 0;
      for (const _ of this.#thumbFiles(false)) count++;
      this.#thumbCount = count;
    }
    return this.#files.size + this.#thumbCount;
  }

  get(sitePath: string): SiteAsset | undefined {
    const asset = this.#files.get(sitePath);
    if (asset || !sitePath.startsWith(`${THUMBS_DIR}/`)) return asset;
    this.#thumbIndex ??= new Map(this.#thumbFiles(true));
    const file = this.#thumbIndex.get(sitePath);
    return file === undefined ? undefined : { file, type: WEBP };
  }

  has(sitePath: string): boolean {
    return this.get(sitePath) !== undefined;
  }

  *entries(): Generator<[string, SiteAsset]> {
    yield* this.#files;
    for (const [path, file] of this.#thumbFiles(true)) yield [path, { file, type: WEBP }];
  }

  *keys(): Generator<string> {
    for (const [path] of this.entries()) yield path;
  }

  *values(): Generator<SiteAsset> {
    for (const [, asset] of this.entries()) yield asset;
  }

  [Symbol.iterator](): Generator<[string, SiteAsset]> {
    return this.entries();
  }

  /**
   * Every thumbnail file once, as [site path, file] (`named`; else empty strings, for counting without
   * hashing). Two roles of the same size share their files: an image in both is listed once.
   */
  *#thumbFiles(named: boolean): Generator<[string, string]> {
    for (const { dir, sets } of this.#thumbs) {
      for (const [k, set] of sets.entries()) {
        const earlier = sets.slice(0, k).filter((s) => s.box === set.box && s.quality === set.quality);
        for (const sha256 of set.keys()) {
          if (earlier.some((s) => s.has(sha256))) continue;
          if (!named) {
            yield UNNAMED;
            continue;
          }
          const name = set.name(sha256);
          yield [`${THUMBS_DIR}/${name}`, join(dir, name)];
        }
      }
    }
  }
}
