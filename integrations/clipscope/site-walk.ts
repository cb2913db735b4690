// The files of a built site, one folder at a time. A 100,000-image site has 200,000 thumbnails in one
// folder: `readdir` lists a folder whole (a Dirent apiece; listing dist/ at once held 25 MB of heap and
// 73 MiB of RSS at 203,552 files), while `opendir` streams its entries. Shared by the site's size
// (./site-size.ts) and the charts cut out of its pages (./chart-svg.ts).
import { opendir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * Every regular file under `dir` (symbolic links are not followed), as [folder, name]; depth first,
 * in the file system's order. `skip(folder)` — the folder relative to `dir`, '/'-separated — leaves a
 * folder out with everything in it.
 */
export async function* siteFiles(dir: string, skip: (folder: string) => boolean = () => false): AsyncGenerator<[folder: string, name: string]> {
  const folders = [dir];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for await (const entry of await opendir(folder)) {
      if (entry.isDirectory()) {
        const child = join(folder, entry.name);
        if (!skip(relative(dir, child).split(sep).join('/'))) folders.push(child);
      } else if (entry.isFile()) yield [folder, entry.name];
    }
  }
}
