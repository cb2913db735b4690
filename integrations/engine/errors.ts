// One error type for everything a user can fix: what happened, which option/file/value caused it,
// and what to do. The CLI and the Astro integration print `message` (and `hint`) without a stack.

export class ClipscopeError extends Error {
  /** Short machine-readable kind, e.g. "dictionary", "model", "options", "cache". */
  readonly kind: string;
  /** What the user can do about it. */
  readonly hint?: string;

  constructor(kind: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClipscopeError';
    this.kind = kind;
    this.hint = hint;
  }

  /** The message and the hint, as printed to a user. */
  describe(): string {
    return this.hint ? `${this.message}\n  → ${this.hint}` : this.message;
  }
}

/** Quote a value for a message: strings in quotes, everything else as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** "expected X for option Y but received Z" — the one helper for option and value errors. */
export function invalidValue(kind: string, what: string, expected: string, received: unknown, hint?: string): ClipscopeError {
  return new ClipscopeError(kind, `Expected ${expected} for ${what} but received ${show(received)}`, hint);
}

/** Whether an error is a ClipscopeError (also across module copies). */
export function isClipscopeError(e: unknown): e is ClipscopeError {
  return e instanceof ClipscopeError || (e instanceof Error && e.name === 'ClipscopeError');
}
