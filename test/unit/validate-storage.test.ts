// The widget's storage (src/components/ValidateStorage.ts) against an in-memory Storage.
import { describe, expect, it } from 'vitest';
import { loadCoder, loadMode, loadState, saveCoder, saveMode, saveState, storageKey } from '../../src/components/ValidateStorage.ts';
import type { JudgementItem } from '../../integrations/core/judgements.ts';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() { return m.size; },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

const RUN = { model: 'm', modelChecksum: 'a'.repeat(64), dictionaryHash: 'b'.repeat(64) };
const item: JudgementItem = { sha256: '1'.repeat(64), path: 'a.jpg', predicted: 'Red', label: 'x', probability: 50, verdict: 'right', judgedAt: '2025-03-01T14:00:00.000Z' };
const one = { items: { [item.sha256]: item }, history: [item.sha256] };

describe('ValidateStorage', () => {
  it('keeps shown, blind and adjudicator judgements of one name apart', () => {
    const s = memoryStorage();
    saveState(s, RUN, 'Ada', { role: 'coder', mode: 'blind' }, one);
    expect(loadState(s, RUN, 'Ada', { role: 'coder', mode: 'blind' }).items).toEqual(one.items);
    expect(loadState(s, RUN, 'Ada', { role: 'coder', mode: 'shown' }).items).toEqual({});
    expect(loadState(s, RUN, 'Ada', { role: 'adjudicator', mode: 'shown' }).items).toEqual({});
    // Shown-mode coders keep the key of before (judgements stored by the earlier widget are found).
    expect(storageKey(RUN, 'Ada', { role: 'coder', mode: 'shown' })).toBe(`clipscope.judgements/v1:${'b'.repeat(12)}-${'a'.repeat(12)}:Ada`);
  });

  it('no coder name reaches another slot or the remembered name (a coder named "coder", "blind:x", "@coder")', () => {
    const s = memoryStorage();
    saveCoder(s, RUN, 'coder', 'coder');
    for (const name of ['coder', 'blind:x', '@coder', 'adjudicator:x']) saveState(s, RUN, name, { role: 'coder', mode: 'shown' }, one);
    expect(loadCoder(s, RUN, 'coder')).toBe('coder');
    expect(loadState(s, RUN, 'x', { role: 'coder', mode: 'blind' }).items).toEqual({});
    expect(loadState(s, RUN, 'x', { role: 'adjudicator', mode: 'shown' }).items).toEqual({});
    expect(loadState(s, RUN, 'coder', { role: 'coder', mode: 'shown' }).items).toEqual(one.items);
  });

  it("remembers the chosen mode until the build's default changes", () => {
    const s = memoryStorage();
    saveMode(s, RUN, 'blind', 'shown');
    expect(loadMode(s, RUN, 'shown')).toBe('blind');
    expect(loadMode(s, RUN, 'blind')).toBeNull();
  });
});
