// The built site's size against GitHub Pages' limit for a published site (1 GB, docs.github.com:
// "Published GitHub Pages sites may be no larger than 1 GB"). Measured on dist/ after the build, so
// it counts everything (pages, thumbnails, downloads, the Workbench's data and text tower); at
// 100,000 images (203,552 files) the walk takes about 4 s on 2 cores.
import { stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { formatBytes } from '../core/format.ts';
import { THUMBS_DIR } from './thumbnails.ts';
import { siteFiles } from './site-walk.ts';

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
 * Files and bytes under `dir` (symbolic links are not followed; hard links count as files), read one
 * folder at a time (./site-walk.ts) and stat'ed in chunks.
 */
export async function measureSite(dir: string): Promise<SiteSize> {
  const size: SiteSize = { files: 0, bytes: 0, thumbnailBytes: 0 };
  let chunk: { file: string; thumbnail: boolean }[] = [];
  const count = async () => {
    const sizes = await Promise.all(chunk.map(({ file }) => stat(file).then((s) => s.size)));
    sizes.forEach((bytes, i) => {
      size.files++;
      size.bytes += bytes;
      if (chunk[i].thumbnail) size.thumbnailBytes += bytes;
    });
    chunk = [];
  };
  // Whether a folder holds thumbnails, worked out once per folder (the walk gives its files in a row).
  let folderOf = '';
  let thumbnail = false;
  for await (const [folder, name] of siteFiles(dir)) {
    if (folder !== folderOf) {
      folderOf = folder;
      thumbnail = `${relative(dir, folder)}${sep}`.startsWith(THUMBS_PREFIX);
    }
    chunk.push({ file: join(folder, name), thumbnail });
    if (chunk.length === STAT_CHUNK) await count();
  }
  await count();
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
