// One error type for everything a user can fix: what happened, which option/file/value caused it,
// and what to do. The CLI and the Astro integration print `message` (and `hint`) without a stack.
// Browser-safe (the dictionary parser in core throws it too); engine/errors.ts re-exports it.

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
