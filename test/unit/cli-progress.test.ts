// The CLI's progress on a terminal: when a run fails while the live bar is drawn (e.g. a vision model
// without CLIP's inputs, found when the first batch starts), the bar line is ended before the error
// message is printed, so the message does not start in the middle of the bar.
import { describe, expect, it } from 'vitest';
import { withProgress } from '../../integrations/cli/shared.ts';
import { ClipscopeError } from '../../integrations/engine/errors.ts';

function terminal() {
  const chunks: string[] = [];
  return { stream: { isTTY: true, write: (c: string) => chunks.push(c) }, text: () => chunks.join('') };
}

describe('withProgress', () => {
  it('ends the live bar with a newline when the run fails, and passes the error on', async () => {
    const tty = terminal();
    const failing = withProgress(async (effects) => {
      effects.log('300 images found: 0 in the cache, 300 to embed');
      effects.progress!({ done: 0, total: 300, imagesPerSecond: 0, etaSeconds: null });
      throw new ClipscopeError('model', 'vision_model.onnx does not look like a CLIP tower');
    }, tty.stream);
    await expect(failing).rejects.toThrow(/does not look like a CLIP tower/);
    expect(tty.text()).toMatch(/0\/300 images · 0\.0 images\/s · ETA \?\n$/);
  });

  it('ends the bar once on success and returns the result', async () => {
    const tty = terminal();
    const result = await withProgress(async (effects) => {
      effects.progress!({ done: 5, total: 5, imagesPerSecond: 10, etaSeconds: 0 });
      return 42;
    }, tty.stream);
    expect(result).toBe(42);
    expect(tty.text()).toBe('\r\x1b[K[########################] 100% 5/5 images · 10 images/s · ETA 0.0 s\n');
  });

  it('writes nothing extra when no bar was drawn', async () => {
    const tty = terminal();
    await expect(withProgress(async () => Promise.reject(new Error('x')), tty.stream)).rejects.toThrow('x');
    expect(tty.text()).toBe('');
  });
});
