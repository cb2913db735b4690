// A run over a posts table: open and check the table, hand its image files to the run as discovery
// would, and after scoring give every row its status, group and date (table.ts does the reading,
// resolving and writing; this module is the glue between it and `classify()`).
import { checkImageFolder, type DiscoverResult } from './discover.ts';
import type { EmbedEffects } from './cached-embeddings.ts';
import { ClipscopeError } from './errors.ts';
import type { ClassifyOptions, RunOptionName } from './options.ts';
import { readTable, requireColumn, resolveTableImages, tableRowRefs, type PostsTable, type TableImages } from './table.ts';
import type { Grouping, ImageResult, TableInfo, TableRowRef } from '../core/types.ts';

interface OpenedTable {
  table: PostsTable;
  found: TableImages;
}

/** With `table`: read it, check its columns, and resolve its image paths. Null for a folder run. */
export async function openTable(options: ClassifyOptions, flag: (key: RunOptionName) => string): Promise<OpenedTable | null> {
  // Images or a table, not both, and table-only options with a table: checked by parseClassifyOptions.
  if (!options.table) return null;
  if (options.imagesRoot) await checkImageFolder(options.imagesRoot, flag('imagesRoot'));
  const table = await readTable(options.table);
  requireColumn(table, options.imageColumn, flag('imageColumn'));
  if (options.groupBy !== undefined) requireColumn(table, options.groupBy, flag('groupBy'));
  if (options.dateColumn !== undefined) requireColumn(table, options.dateColumn, flag('dateColumn'));
  const found = await resolveTableImages(table, { imageColumn: options.imageColumn, imagesRoot: options.imagesRoot, tableFile: options.table });
  if (found.images.length === 0) {
    const example = found.skipped[0];
    throw new ClipscopeError(
      'images',
      `None of the ${found.unique} image paths in column ${JSON.stringify(options.imageColumn)} of ${table.source} could be read` +
        (found.missingExample ? ` (e.g. ${JSON.stringify(found.missingExample.cell)} was looked for at ${found.missingExample.lookedAt})` : example ? ` (e.g. ${example.path}: ${example.reason})` : ''),
      `Relative paths start from ${flag('imagesRoot')} (default: the table's folder); check that it is the folder the paths were written for.`,
    );
  }
  return { table, found };
}

/** The table's files as discovery would report them, after saying what the table holds. */
export function tableFound(posts: OpenedTable, effects: Pick<EmbedEffects, 'log'>): DiscoverResult {
  const { table, found } = posts;
  const rows = found.rows.length;
  const missing = found.rows.filter((r) => r.status === 'missing').length;
  const empty = found.rows.filter((r) => r.status === 'no image').length;
  effects.log(
    `Table ${table.source}: ${rows} row${rows === 1 ? '' : 's'}, ${found.unique} distinct image path${found.unique === 1 ? '' : 's'}` +
      (missing > 0 ? `; ${missing} row${missing === 1 ? ' points' : 's point'} at a missing file` : '') +
      (empty > 0 ? `; ${empty} row${empty === 1 ? ' has' : 's have'} no image path` : '') +
      (found.missingExample ? ` (e.g. ${JSON.stringify(found.missingExample.cell)} looked for at ${found.missingExample.lookedAt})` : ''),
  );
  if (found.external > 0) {
    effects.log(`${found.external} image${found.external === 1 ? ' lies' : 's lie'} outside the images root; the report shows ${found.external === 1 ? 'it' : 'them'} as external-<hash>/<file name>.`);
  }
  return { images: found.images, skipped: found.skipped };
}

/** Rows, table summary and grouping of a table run; each image gets the group all its rows share. */
export function tableGroups(posts: OpenedTable, options: ClassifyOptions, images: ImageResult[]): { table: TableInfo; rows: TableRowRef[]; grouping?: Grouping } {
  const classified = new Set(images.map((i) => i.path));
  const { rows, info } = tableRowRefs(posts.table, posts.found.rows, classified, {
    imageColumn: options.imageColumn,
    groupBy: options.groupBy ?? null,
    dateColumn: options.dateColumn ?? null,
    unique: posts.found.unique,
  });
  if (options.groupBy === undefined) return { table: info, rows };
  const groupsOf = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.status !== 'classified' || row.image === null) continue;
    const set = groupsOf.get(row.image) ?? new Set<string>();
    set.add(row.group!);
    groupsOf.set(row.image, set);
  }
  for (const image of images) {
    const groups = groupsOf.get(image.path);
    if (groups?.size === 1) image.group = [...groups][0];
  }
  return { table: info, rows, grouping: { kind: 'column', column: options.groupBy } };
}
