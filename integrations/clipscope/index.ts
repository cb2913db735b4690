// Placeholder: the Astro integration (issue 5) replaces this.
import type { AstroIntegration } from 'astro';

export default function clipscope(_options: Record<string, unknown> = {}): AstroIntegration {
  return { name: 'clipscope', hooks: {} };
}
