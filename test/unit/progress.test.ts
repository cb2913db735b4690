import { describe, expect, it } from 'vitest';
import {
  createProgressReporter,
  formatBar,
  formatProgressLine,
  formatSkipped,
  formatSummary,
  measureProgress,
} from '../../integrations/engine/progress.ts';

describe('measureProgress', () => {
  it.each([
    // done, total, elapsed → images/s, eta
    [0, 100, 0, 0, null],
    [0, 100, 5, 0, null],
    [50, 100, 10, 5, 10],
    [100, 100, 20, 5, 0],
    [0, 0, 0, 0, 0],
  ])('%i of %i after %is → %f/s, ETA %s', (done, total, elapsed, rate, eta) => {
    const p = measureProgress(done, total, elapsed);
    expect(p.imagesPerSecond).toBeCloseTo(rate, 9);
    expect(p.etaSeconds).toBe(eta);
  });
});

describe('formatting', () => {
  it('formats a plain line and a bar', () => {
    const p = { done: 40, total: 100, imagesPerSecond: 12.34, etaSeconds: 4.86 };
    expect(formatProgressLine(p)).toBe('40/100 images · 12 images/s · ETA 4.9 s');
    expect(formatBar(p, 10)).toBe('[####------]  40% 40/100 images · 12 images/s · ETA 4.9 s');
    expect(formatProgressLine({ done: 0, total: 5, imagesPerSecond: 0, etaSeconds: null })).toBe('0/5 images · 0.0 images/s · ETA ?');
  });

  it('formats the summary', () => {
    expect(formatSummary({ classified: 12, skipped: 1, embedded: 10, fromCache: 2, seconds: 3.24 })).toBe(
      'Classified 12 images in 3.2 s: 10 embedded now, 2 from the cache; 1 file skipped: it could not be used as an image.',
    );
    expect(formatSummary({ classified: 1, skipped: 0, embedded: 0, fromCache: 1, seconds: 61 })).toBe(
      'Classified 1 image in 1 min 01 s: 0 embedded now, 1 from the cache; nothing skipped.',
    );
  });

  it('says what happened to images announced "to embed" that could not be used', () => {
    // "2 to embed" followed by "0 embedded, 2 skipped" read as a contradiction: the summary says the
    // two files were skipped because they could not be used.
    expect(formatSummary({ classified: 0, skipped: 2, embedded: 0, fromCache: 0, seconds: 0.1 })).toBe(
      'Classified 0 images in 0.1 s: 0 embedded now, 0 from the cache; 2 files skipped: they could not be used as images.',
    );
  });

  it('names the first skipped files, then a count', () => {
    const skipped = Array.from({ length: 7 }, (_, i) => ({ path: `f${i}.jpg`, reason: 'truncated file' }));
    expect(formatSkipped(skipped.slice(0, 1))).toEqual(['Skipped f0.jpg: truncated file']);
    const lines = formatSkipped(skipped, 5);
    expect(lines).toHaveLength(6);
    expect(lines[4]).toBe('Skipped f4.jpg: truncated file');
    expect(lines[5]).toBe("… and 2 more skipped files (all are listed on the report's Skipped page)");
    expect(formatSkipped([])).toEqual([]);
  });
});

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (s: string) => chunks.push(s) } };
}

describe('createProgressReporter', () => {
  it('writes plain lines at most once per interval, and always the last one', () => {
    let t = 0;
    const { chunks, stream } = recorder(false);
    const r = createProgressReporter({ stream, interval: 1000, now: () => t });
    const p = (done: number) => ({ done, total: 4, imagesPerSecond: 1, etaSeconds: 4 - done });
    r.update(p(1));
    t = 500;
    r.update(p(2)); // too soon
    t = 1200;
    r.update(p(3));
    t = 1300;
    r.update(p(4)); // complete: written despite the interval
    r.finish();
    expect(chunks).toEqual([
      '1/4 images · 1.0 images/s · ETA 3.0 s\n',
      '3/4 images · 1.0 images/s · ETA 1.0 s\n',
      '4/4 images · 1.0 images/s · ETA 0.0 s\n',
    ]);
  });

  it('redraws a bar in place on a terminal, and a log line does not garble it', () => {
    const { chunks, stream } = recorder(true);
    const r = createProgressReporter({ stream, interval: 0, now: () => 0 });
    r.update({ done: 1, total: 2, imagesPerSecond: 1, etaSeconds: 1 });
    r.log('a phrase was cut');
    r.update({ done: 2, total: 2, imagesPerSecond: 1, etaSeconds: 0 });
    r.finish();
    const out = chunks.join('');
    expect(out.startsWith('\r\x1b[K[')).toBe(true);
    expect(out).toContain('\r\x1b[Ka phrase was cut\n');
    expect(out.endsWith('2/2 images · 1.0 images/s · ETA 0.0 s\n')).toBe(true);
  });
});
