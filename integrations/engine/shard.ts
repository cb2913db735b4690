// Sharded runs: `--shard K/N` embeds (or classifies) the K-th of N parts of an image set, so N
// machines — a Slurm job array, a Kubernetes Indexed Job, a CI matrix — can share one collection and
// their caches be merged afterwards (cache-merge.ts). An image's part is chosen from its content
// hash, never from its path or its position in a listing:
// - every image is in exactly one part, whatever order the machines list the files in;
// - identical files (the same bytes under several names) fall in the same part, so they are embedded
//   once, as in an unsharded run;
// - re-running a part, or the whole array, picks the same images (stable across runs and machines).
// Parts are numbered from 0, as Kubernetes' JOB_COMPLETION_INDEX and `sbatch --array=0-(N-1)` number
// them. Pure: no I/O.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ClipscopeError } from './errors.ts';

export interface Shard {
  /** K: which part, from 0 to count − 1. */
  index: number;
  /** N: how many parts. */
  count: number;
}

/** How many parts at most: more than any cluster needs, few enough to keep the arithmetic exact. */
const MAX_SHARDS = 1_000_000;

/** How many hex digits of the sha256 choose the part: 13 digits are 52 bits, an exact integer in a
 * double, so `value % count` is exact; the bias of 2^52 mod N over N ≤ 10^6 parts is below 10^-9. */
const HEX_DIGITS = 13;

/** The part (0 … count − 1) an image with this sha256 (64 hex digits) belongs to: the first 52 bits
 * of the hash, modulo the number of parts. */
export function shardOf(sha256: string, count: number): number {
  if (!/^[0-9a-f]{13}/i.test(sha256)) throw new Error(`not a sha256 hex digest: ${JSON.stringify(sha256)}`);
  if (!Number.isInteger(count) || count < 1) throw new Error(`not a shard count: ${count}`);
  return Number.parseInt(sha256.slice(0, HEX_DIGITS), 16) % count;
}

/** Whether an image with this sha256 is in the given part (every image is, without a shard). */
export function inShard(sha256: string, shard: Shard | null): boolean {
  return shard === null || shardOf(sha256, shard.count) === shard.index;
}

/** "K/N" for logs and messages. */
function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** What a shard value must be, or null when `value` is a usable shard. The text completes
 * "Expected … for option --shard but received …". */
export function shardProblem(value: unknown): string | null {
  const form = 'a shard "K/N" — part K of N, with K from 0 to N−1 (e.g. "0/4", the first of 4)';
  let index: number;
  let count: number;
  if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
    if (!m) return form;
    index = Number(m[1]);
    count = Number(m[2]);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (!Number.isInteger(v.index) || !Number.isInteger(v.count) || Object.keys(v).some((k) => k !== 'index' && k !== 'count')) {
      return `${form}, or { index: K, count: N } with integers`;
    }
    index = v.index as number;
    count = v.count as number;
  } else {
    return form;
  }
  if (count < 1 || count > MAX_SHARDS) return `a number of parts N from 1 to ${MAX_SHARDS.toLocaleString('en-US')} in K/N`;
  if (index < 0 || index >= count) {
    return (
      `K from 0 to ${count - 1} in K/${count} (parts are numbered from 0, as SLURM_ARRAY_TASK_ID ` +
      `with --array=0-${count - 1} and Kubernetes' JOB_COMPLETION_INDEX number them)`
    );
  }
  return null;
}

/** Parse a value shardProblem accepted. */
function toShard(value: string | Shard): Shard {
  if (typeof value !== 'string') return { index: value.index, count: value.count };
  const [index, count] = value.split('/').map((s) => Number(s.trim()));
  return { index, count };
}

/** The zod schema of the `shard` run option: "K/N" or { index, count } → Shard; null (the default)
 * is the whole set. */
export const shardOptionSchema = z
  .unknown()
  .transform((value, ctx): Shard | null => {
    if (value === null || value === undefined) return null;
    const problem = shardProblem(value);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return toShard(value as string | Shard);
  });

/** The part of a file that could not be hashed (unreadable, vanished): chosen from the sha256 of its
 * relative path, so its skip is reported by exactly one part. */
function inShardByPath(relativePath: string, shard: Shard | null): boolean {
  return shard === null || inShard(createHash('sha256').update(relativePath).digest('hex'), shard);
}

/** The images (by content) and skipped files (by path) of one part, with a log line saying so. */
export function selectShard<I extends { sha256: string }, S extends { path: string }>(
  shard: Shard | null,
  images: readonly I[],
  skipped: readonly S[],
  log: (message: string) => void,
): { images: I[]; skipped: S[] } {
  if (shard === null) return { images: [...images], skipped: [...skipped] };
  const mine = images.filter((image) => inShard(image.sha256, shard));
  log(
    `shard ${formatShard(shard)}: ${mine.length} of ${images.length} image${images.length === 1 ? '' : 's'} ` +
      `(parts are chosen by content hash; the other ${images.length - mine.length} belong to other parts)`,
  );
  return { images: mine, skipped: skipped.filter((s) => inShardByPath(s.path, shard)) };
}

/** A posts-table run classifies every row's image: a part of it would write a table whose rows of
 * the other parts look unreadable. Refused; the table's images are embedded in parts instead. */
export function checkShardWithTable(options: { shard?: Shard | null; table?: string }, flag: (key: 'shard' | 'table') => string): void {
  if (!options.shard || !options.table) return;
  throw new ClipscopeError(
    'options',
    `${flag('shard')} cannot be used with ${flag('table')}: the written table would show the rows of the other parts as unreadable`,
    'Embed the parts with `clipscope embed --images <the folder the table\'s images are in> --shard K/N --cache DIR`, merge the caches (`clipscope cache merge`), then classify the table once with the merged cache.',
  );
}
