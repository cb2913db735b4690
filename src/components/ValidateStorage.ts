// The widget's memory: a coder's judgements of one run, kept in localStorage under a key made of
// the run id (dictionary hash + model checksum) and the coder's name, so a reload or a closed tab
// loses nothing, two coders on one machine do not mix, and a new run starts clean. What is stored is
// read back through the same zod schema as an imported file: a tampered entry is ignored, not trusted.
import { z } from 'zod';
import { judgementItemSchema, runId, type JudgementItem, type JudgementRun } from '../../integrations/core/judgements.ts';

const PREFIX = 'clipscope.judgements/v1';

export interface CoderState {
  /** Judgements by image sha256. */
  items: Record<string, JudgementItem>;
  /** sha256 of the judgements made here, in order: what Undo takes back. */
  history: string[];
}

const storedSchema = z.object({
  v: z.literal(1),
  items: z.array(judgementItemSchema),
  history: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(100_000),
});

export function storageKey(run: JudgementRun, coder: string): string {
  return `${PREFIX}:${runId(run)}:${encodeURIComponent(coder)}`;
}

export function coderKey(run: JudgementRun): string {
  return `${PREFIX}:${runId(run)}:coder`;
}

/** localStorage, or null where it is unavailable (some private modes, storage disabled). */
export function storage(): Storage | null {
  try {
    const s = window.localStorage;
    const probe = `${PREFIX}:probe`;
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

export function emptyState(): CoderState {
  return { items: {}, history: [] };
}

export function loadState(s: Storage | null, run: JudgementRun, coder: string): CoderState {
  if (!s || !coder) return emptyState();
  try {
    const raw = s.getItem(storageKey(run, coder));
    if (!raw) return emptyState();
    const parsed = storedSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return emptyState();
    const items: Record<string, JudgementItem> = {};
    for (const item of parsed.data.items) items[item.sha256] = item;
    return { items, history: parsed.data.history.filter((sha) => Object.hasOwn(items, sha)) };
  } catch {
    return emptyState();
  }
}

/** Saves; returns false when the browser refused (quota, disabled storage). */
export function saveState(s: Storage | null, run: JudgementRun, coder: string, state: CoderState): boolean {
  if (!s || !coder) return false;
  try {
    s.setItem(storageKey(run, coder), JSON.stringify({ v: 1, items: Object.values(state.items), history: state.history }));
    return true;
  } catch {
    return false;
  }
}

export function loadCoder(s: Storage | null, run: JudgementRun): string {
  try {
    return s?.getItem(coderKey(run))?.slice(0, 100) ?? '';
  } catch {
    return '';
  }
}

export function saveCoder(s: Storage | null, run: JudgementRun, coder: string): void {
  try {
    s?.setItem(coderKey(run), coder);
  } catch {
    // Not remembering the name is harmless: the coder types it again.
  }
}
