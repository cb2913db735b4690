// Path order shared by the engine (discovery, results) and browser code: by Unicode code point.

/** Compare two paths by Unicode code point, which is the same order as comparing their UTF-8 bytes
 * (plain `<` on JS strings compares UTF-16 units and puts U+E000–U+FFFF after astral characters). */
export function comparePaths(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

/** Each distinct content's image: sha256 → index in `images`. Images with the same bytes share one
 * record of judgements and thumbnails; the one that stands for them all is the first in path order
 * (comparePaths), whatever order `images` is in. */
export function indexBySha256(images: readonly { sha256: string; path: string }[]): Map<string, number> {
  const index = new Map<string, number>();
  images.forEach((img, i) => {
    const known = index.get(img.sha256);
    if (known === undefined || comparePaths(img.path, images[known].path) < 0) index.set(img.sha256, i);
  });
  return index;
}
