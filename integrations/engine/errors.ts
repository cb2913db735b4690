// One error type for everything a user can fix: what happened, which option/file/value caused it,
// and what to do. The CLI and the Astro integration print `message` (and `hint`) without a stack.
// ClipscopeError and show live in core/errors.ts (browser-safe) and are re-exported here.

import { ClipscopeError, show } from '../core/errors.ts';

export { ClipscopeError, show };

/** "expected X for option Y but received Z" — the one helper for option and value errors. */
export function invalidValue(kind: string, what: string, expected: string, received: unknown, hint?: string): ClipscopeError {
  return new ClipscopeError(kind, `Expected ${expected} for ${what} but received ${show(received)}`, hint);
}

/** Whether an error is a ClipscopeError (also across module copies). */
export function isClipscopeError(e: unknown): e is ClipscopeError {
  return e instanceof ClipscopeError || (e instanceof Error && e.name === 'ClipscopeError');
}
