// The widget's memory: a coder's judgements of one run, kept in localStorage under a key made of
// the run id (dictionary hash + model checksum), the role and mode (blind-mode and adjudicator
// judgements apart from shown-mode ones: one file never mixes them) and the coder's name, so a
// reload or a closed tab loses nothing, two coders on one machine do not mix, and a new run starts
// clean. What is stored is
// read back through the same zod schema as an imported file: a tampered entry is ignored, not trusted.
import { z } from 'zod';
import { judgementItemSchema, runId, type CoderRole, type CodingMode, type JudgementItem, type JudgementRun } from '../../integrations/core/judgements.ts';
import { emptyState, type CoderState } from './validate/state.ts';

const PREFIX = 'clipscope.judgements/v1';

/** Whose judgements, in which mode: shown-mode coders keep the first key form (no segment). */
interface Slot {
  role: CoderRole;
  mode: CodingMode;
}

function slotSegment(slot: Slot): string {
  if (slot.role === 'adjudicator') return 'adjudicator:';
  return slot.mode === 'blind' ? 'blind:' : '';
}

const storedSchema = z.object({
  v: z.literal(1),
  items: z.array(judgementItemSchema),
  history: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(100_000),
});

// encodeURIComponent encodes ":" and "@", so no coder name can produce another slot's key or the
// "@coder" / "@mode" keys (the plain "coder" key of before collided with a coder named "coder").
export function storageKey(run: JudgementRun, coder: string, slot: Slot): string {
  return `${PREFIX}:${runId(run)}:${slotSegment(slot)}${encodeURIComponent(coder)}`;
}

function coderKey(run: JudgementRun, role: CoderRole): string {
  return `${PREFIX}:${runId(run)}:@${role}`;
}

function modeKey(run: JudgementRun): string {
  return `${PREFIX}:${runId(run)}:@mode`;
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

export function loadState(s: Storage | null, run: JudgementRun, coder: string, slot: Slot): CoderState {
  if (!s || !coder) return emptyState();
  try {
    const raw = s.getItem(storageKey(run, coder, slot));
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
export function saveState(s: Storage | null, run: JudgementRun, coder: string, slot: Slot, state: CoderState): boolean {
  if (!s || !coder) return false;
  try {
    s.setItem(storageKey(run, coder, slot), JSON.stringify({ v: 1, items: Object.values(state.items), history: state.history }));
    return true;
  } catch {
    return false;
  }
}

export function loadCoder(s: Storage | null, run: JudgementRun, role: CoderRole): string {
  try {
    return s?.getItem(coderKey(run, role))?.slice(0, 100) ?? '';
  } catch {
    return '';
  }
}

export function saveCoder(s: Storage | null, run: JudgementRun, role: CoderRole, coder: string): void {
  try {
    s?.setItem(coderKey(run, role), coder);
  } catch {
    // Not remembering the name is harmless: the coder types it again.
  }
}

/**
 * The mode last chosen on this page for this run, or null. The choice is kept with the build's
 * default it was made against: when the site is rebuilt with another default (option
 * validation.blind), the new default wins over an older choice.
 */
export function loadMode(s: Storage | null, run: JudgementRun, fallback: CodingMode): CodingMode | null {
  try {
    const [mode, against] = (s?.getItem(modeKey(run)) ?? '').split(':');
    if (against !== fallback) return null;
    return mode === 'blind' || mode === 'shown' ? mode : null;
  } catch {
    return null;
  }
}

export function saveMode(s: Storage | null, run: JudgementRun, mode: CodingMode, fallback: CodingMode): void {
  try {
    s?.setItem(modeKey(run), `${mode}:${fallback}`);
  } catch {
    // Not remembering the mode is harmless: the toggle is on the page.
  }
}
