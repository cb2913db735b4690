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
