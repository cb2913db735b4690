// The integration asks V8 for a small heap on `astro build` only (see integrations/clipscope/heap.ts).
import { describe, expect, it, vi } from 'vitest';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const calls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../integrations/clipscope/heap.ts', () => ({
  preferSmallHeap: () => {
    calls.count++;
    return true;
  },
}));
const { default: clipscope } = await import('../../integrations/clipscope/index.ts');

function setup(command: 'build' | 'dev' | 'preview' | 'sync') {
  const integration = clipscope({}, { env: {} });
  const hook = integration.hooks['astro:config:setup'] as (context: unknown) => void;
  hook({
    command,
    config: { root: pathToFileURL(`${resolve('.')}/`), base: '/' },
    updateConfig: () => {},
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  });
}

describe('astro:config:setup and the heap policy', () => {
  it('asks for a small heap when building, not for the dev server, preview or sync', () => {
    calls.count = 0;
    for (const command of ['dev', 'preview', 'sync'] as const) setup(command);
    expect(calls.count).toBe(0);
    setup('build');
    expect(calls.count).toBe(1);
  });
});
