// The virtual module `virtual:clipscope/report` hands the pages the report object the integration
// holds (by a registered symbol), not a serialised copy: what it evaluates to, with and without one.
import { afterEach, describe, expect, it } from 'vitest';
import { reportModuleSource } from '../../integrations/clipscope/index.ts';

const KEY = Symbol.for('clipscope.report');
let evaluations = 0;
/** A fresh evaluation each time (a data: URL differing by a comment, so the module cache misses). */
const evaluate = async (): Promise<unknown> =>
  ((await import(`data:text/javascript,${encodeURIComponent(`${reportModuleSource()}\n// ${++evaluations}`)}`)) as { default: unknown }).default;

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[KEY];
});

describe('the report module', () => {
  it('is the very object the integration prepared (no copy)', async () => {
    const report = { schema: 'clipscope.report/v1', result: { images: [] } };
    (globalThis as Record<symbol, unknown>)[KEY] = report;
    expect(await evaluate()).toBe(report);
  });
  it('says where pages must render when no report was prepared in this process', async () => {
    await expect(evaluate()).rejects.toThrow(/no report in this process.*astro build or astro dev/);
  });
  it('holds no data: its size does not grow with the report', () => {
    expect(reportModuleSource().length).toBeLessThan(400);
  });
});
