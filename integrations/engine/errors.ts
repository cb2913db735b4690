// One error type for everything a user can fix: what happened, which option/file/value caused it,
// and what to do. The CLI and the Astro integration print `message` (and `hint`) without a stack.
// ClipscopeError and show live in core/errors.ts (browser-safe) and are re-exported here.

import { ClipscopeError, show } from '../core/errors.ts';

export { ClipscopeError, show };

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours), ignoring case. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known name a misspelt one most likely meant: the closest within a third of its length (at
 * least one edit), else the one it is the start of; undefined when nothing is close. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3));
  for (const candidate of known) {
    const d = distance(word, candidate);
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined || word.length < 3) return best;
  return known.find((candidate) => candidate.toLowerCase().startsWith(word.toLowerCase()));
}

/** Whether an error is a ClipscopeError (also across module copies). */
export function isClipscopeError(e: unknown): e is ClipscopeError {
  return e instanceof ClipscopeError || (e instanceof Error && e.name === 'ClipscopeError');
}
