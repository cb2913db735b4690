// Per-page additions to the site's Content-Security-Policy (astro.config.mjs sets the strict one every
// page gets). Called from a page's frontmatter, before anything renders: Astro writes the policy into
// the page's <head> meta tag (static builds send no headers), and Astro.csp only reaches the page
// being rendered — middleware runs before the page's CSP state exists, so it cannot do this.

/** The source that lets a page compile WebAssembly (onnxruntime-web) — and nothing else: no eval(),
 * no new Function(). */
export const WASM_SCRIPT_SOURCE = "'wasm-unsafe-eval'";

/** What of `Astro` this needs (Astro.csp exists when security.csp is configured). */
interface WithCsp {
  csp?: { insertScriptResource(resource: string): void };
}

/**
 * Lets the page being rendered run WebAssembly: adds 'wasm-unsafe-eval' to its script-src. Only the
 * Workbench page (the browser's text tower) calls this; every other page keeps the strict policy
 * (test/e2e/text-tower.test.ts and robustness-site.test.ts check both).
 */
export function allowWebAssembly(astro: WithCsp): void {
  if (!astro.csp) throw new Error('allowWebAssembly: the site has no Content-Security-Policy configured (security.csp in astro.config.mjs).');
  // Astro writes script-src 'self' only while a page adds no resource of its own; with one added it
  // writes just those, so 'self' (the site's own scripts, as on every page) is added back first.
  astro.csp.insertScriptResource("'self'");
  astro.csp.insertScriptResource(WASM_SCRIPT_SOURCE);
}
