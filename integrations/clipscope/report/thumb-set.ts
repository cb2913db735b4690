// The thumbnails of one role (the list pages' small ones, the large views, …), held compactly: a
// build of 100,000 images has 200,000 of them, and an object with its own URL string for each was
// ~300 bytes apiece in the heap for the whole build. Here each is one entry, image sha256 → pixel
// size packed into a small integer; its file name is computed when a page asks for it (thumbName:
// a hash of what determines the bytes, so the name changes whenever they would).
import { sha256Hex } from '../../engine/hash.ts';
import { ASSETS_DIR } from '../../core/format.ts';

/** A thumbnail as a page shows it. */
export interface Thumb {
  /** Site-relative URL path (no leading slash), e.g. "_clipscope/thumbs/3f…-320.webp"; for the
   * standalone file a data: URI. */
  src: string;
  width: number;
  height: number;
}

/** Bump when the way thumbnails are made changes, so cached ones are not reused. */
const THUMBNAIL_VERSION = 1;

/** Site folder of the thumbnails (under the base path). */
export const THUMBS_DIR = `${ASSETS_DIR}/thumbs`;

/** The content-derived file name of a thumbnail: changes whenever its bytes would. */
export function thumbName(sha256: string, box: number, quality: number): string {
  const key = sha256Hex(`v${THUMBNAIL_VERSION}:${sha256}:${box}:${quality}`).slice(0, 24);
  return `${key}-${box}.webp`;
}

/** WebP's largest side (16,383 px) fits 14 bits, so width and height pack into one small integer. */
const SIDE = 2 ** 14;

export class ThumbSet {
  /** image sha256 → width × 2^14 + height. */
  readonly #sizes = new Map<string, number>();

  /** The longest side the role asks for, and the WebP quality: both name the file. */
  readonly box: number;
  readonly quality: number;

  constructor(box: number, quality: number) {
    this.box = box;
    this.quality = quality;
  }

  add(sha256: string, width: number, height: number): void {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width < SIDE && height < SIDE)) {
      throw new RangeError(`ThumbSet: a thumbnail of ${width}×${height} px is not a WebP size`);
    }
    this.#sizes.set(sha256, width * SIDE + height);
  }

  has(sha256: string): boolean {
    return this.#sizes.has(sha256);
  }

  get size(): number {
    return this.#sizes.size;
  }

  /** The file name of an image's thumbnail (whether or not one was made). */
  name(sha256: string): string {
    return thumbName(sha256, this.box, this.quality);
  }

  /** An image's thumbnail: its site path and pixel size; undefined when none was made. */
  get(sha256: string): Thumb | undefined {
    const packed = this.#sizes.get(sha256);
    if (packed === undefined) return undefined;
    return { src: `${THUMBS_DIR}/${this.name(sha256)}`, width: Math.floor(packed / SIDE), height: packed % SIDE };
  }

  /** The sha256 of every image with a thumbnail, in the order they were added. */
  keys(): IterableIterator<string> {
    return this.#sizes.keys();
  }
}
