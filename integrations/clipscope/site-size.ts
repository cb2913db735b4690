// The built site's size against GitHub Pages' limit for a published site (1 GB, docs.github.com:
// "Published GitHub Pages sites may be no larger than 1 GB"). Measured on dist/ after the build, so
// it counts everything (pages, thumbnails, downloads, the Workbench's data and text tower); at
// 100,000 images (203,552 files) the walk takes about 4 s on 2 cores.
import { opendir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { formatBytes } from '../core/format.ts';
import { THUMBS_DIR } from './thumbnails.ts';

/** GitHub Pages publishes sites up to this size. */
export const PAGES_SITE_LIMIT_BYTES = 1_000_000_000;

/** Where the thumbnails are published (under the base path), as a path prefix on this system. */
const THUMBS_PREFIX = THUMBS_DIR.split('/').join(sep) + sep;

export interface SiteSize {
  files: number;
  bytes: number;
  /** Of which thumbnails and large views. */
  thumbnailBytes: number;
}

/** Files stat'ed at once. */
const STAT_CHUNK = 64;

/**
 * Files and bytes under `dir` (symbolic links are not followed; hard links count as files). Read one
 * folder at a time as a stream: the thumbnail folder of a 100,000-image site holds 200,000 files, and
 * listing the whole tree at once held every entry (25 MB of heap, 73 MiB more RSS, at 203,552 files).
 */
export async function measureSite(dir: string): Promise<SiteSize> {
  const size: SiteSize = { files: 0, bytes: 0, thumbnailBytes: 0 };
  const folders = [dir];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    const thumbnails = `${relative(dir, folder)}${sep}`.startsWith(THUMBS_PREFIX);
    let chunk: string[] = [];
    const count = async () => {
      const sizes = await Promise.all(chunk.map((file) => stat(file).then((s) => s.size)));
      for (const bytes of sizes) {
        size.files++;
        size.bytes += bytes;
        if (thumbnails) size.thumbnailBytes += bytes;
      }
      chunk = [];
    };
    for await (const entry of await opendir(folder)) {
      if (entry.isDirectory()) folders.push(join(folder, entry.name));
      else if (entry.isFile()) {
        chunk.push(join(folder, entry.name));
        if (chunk.length === STAT_CHUNK) await count();
      }
    }
    await count();
  }
  return size;
}

/** The build log's line on the site's size: a warning, with what to change, over Pages' limit. */
export function siteSizeMessage(size: SiteSize, thumbnails: { list: number | false; large: number }): { warn: boolean; message: string } {
  const what = `${formatBytes(size.bytes)} in ${size.files.toLocaleString('en-US')} files (thumbnails and large views ${formatBytes(size.thumbnailBytes)})`;
  if (size.bytes <= PAGES_SITE_LIMIT_BYTES) return { warn: false, message: `Site: ${what}` };
  const ways = [
    thumbnails.list !== false ? '`thumbnails: { list: false }` keeps thumbnails (and large views) of the sampled and validation images only, not of every image' : '',
    `a smaller \`thumbnails.large\` (now ${thumbnails.large} px) makes every large view smaller`,
  ].filter(Boolean);
  return {
    warn: true,
    message: `The site is ${what}: over GitHub Pages' limit of 1 GB for a published site. To make it smaller: ${ways.join('; ')}. (Hosts without that limit serve it as it is.)`,
  };
}
