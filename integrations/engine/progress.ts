// Progress for people watching a run: a live bar on a terminal, plain lines in logs and CI, both on
// stderr so stdout stays for data. The formatting functions are pure (tested); the reporter only
// decides when to write.
import { formatDuration } from '../core/format.ts';

/** What a run reports while it embeds images. */
export interface Progress {
  done: number;
  total: number;
  /** Images per second since embedding started (0 until the first batch is done). */
  imagesPerSecond: number;
  /** Seconds left at the current rate, or null while unknown. */
  etaSeconds: number | null;
}

export interface RunSummary {
  classified: number;
  skipped: number;
  embedded: number;
  fromCache: number;
  seconds: number;
}

/** The rate and ETA of `done` of `total` items after `elapsedSeconds`. */
export function measureProgress(done: number, total: number, elapsedSeconds: number): Progress {
  const imagesPerSecond = done > 0 && elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const etaSeconds = imagesPerSecond > 0 ? (total - done) / imagesPerSecond : done >= total ? 0 : null;
  return { done, total, imagesPerSecond, etaSeconds };
}

function rate(p: Progress): string {
  return p.imagesPerSecond >= 10 ? p.imagesPerSecond.toFixed(0) : p.imagesPerSecond.toFixed(1);
}

/** "120/1000 images · 12.3 images/s · ETA 1m12s" */
export function formatProgressLine(p: Progress): string {
  const eta = p.etaSeconds === null ? 'ETA ?' : `ETA ${formatDuration(p.etaSeconds)}`;
  return `${p.done}/${p.total} images · ${rate(p)} images/s · ${eta}`;
}

/** "[########------------] 40% 400/1000 images · …" with a bar `width` characters wide. */
export function formatBar(p: Progress, width = 24): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(fraction * width);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent} ${formatProgressLine(p)}`;
}

/**
 * "Classified 1000 images in 52 s: 990 embedded now, 10 from the cache; 2 files skipped: they could not
 * be used as images." Says what happened to every file the run announced: an image "to embed" that
 * could not be decoded is counted among the skipped, never silently missing.
 */
export function formatSummary(s: RunSummary): string {
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  const skipped = s.skipped > 0 ? `; ${files(s.skipped)} skipped: ${s.skipped === 1 ? 'it could not be used as an image' : 'they could not be used as images'}` : '; nothing skipped';
  return `Classified ${s.classified} image${s.classified === 1 ? '' : 's'} in ${formatDuration(s.seconds)}: ${s.embedded} embedded now, ${s.fromCache} from the cache${skipped}.`;
}

/** The skipped files for a log: the first `shown` with their reasons, then how many more. */
export function formatSkipped(skipped: readonly { path: string; reason: string }[], shown = 5): string[] {
  const lines = skipped.slice(0, shown).map((f) => `Skipped ${f.path}: ${f.reason}`);
  if (skipped.length > shown) lines.push(`… and ${skipped.length - shown} more skipped file${skipped.length - shown === 1 ? '' : 's'} (all are listed on the report's Skipped page)`);
  return lines;
}

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ProgressReporter {
  update(p: Progress): void;
  /** Print a message without garbling a live bar. */
  log(message: string): void;
  /** End the live bar (if any) with a newline. */
  finish(): void;
}

interface ProgressReporterOptions {
  stream: ProgressStream;
  /** Live bar (true) or plain lines (false); default: the stream's isTTY. */
  live?: boolean;
  /** Milliseconds between two plain lines (default 5000) or two bar redraws (default 100). */
  interval?: number;
  now?: () => number;
}

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { stream } = options;
  const live = options.live ?? Boolean(stream.isTTY);
  const interval = options.interval ?? (live ? 100 : 5000);
  const now = options.now ?? (() => performance.now());
  let lastWrite = -Infinity;
  let barShown = false;
  let last: Progress | null = null;

  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[K');
    barShown = false;
  };

  return {
    update(p) {
      last = p;
      const t = now();
      const complete = p.done >= p.total;
      if (!complete && t - lastWrite < interval) return;
      lastWrite = t;
      if (live) {
        stream.write(`\r\x1b[K${formatBar(p)}`);
        barShown = true;
      } else {
        stream.write(`${formatProgressLine(p)}\n`);
      }
    },
    log(message) {
      clearBar();
      stream.write(`${message}\n`);
      if (live && last && last.done < last.total) {
        stream.write(formatBar(last));
        barShown = true;
      }
    },
    finish() {
      if (barShown) stream.write('\n');
      barShown = false;
    },
  };
}
