// src/lib/csp.ts: what allowWebAssembly adds to a page's script-src (the e2e test text-tower.test.ts
// checks the built pages).
import { describe, expect, it } from 'vitest';
import { allowWebAssembly, WASM_SCRIPT_SOURCE } from '../../src/lib/csp.ts';

describe('allowWebAssembly', () => {
  it("adds 'wasm-unsafe-eval' and keeps 'self', which Astro drops once a page adds a source", () => {
    const added: string[] = [];
    allowWebAssembly({ csp: { insertScriptResource: (r) => added.push(r) } });
    expect(added).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(WASM_SCRIPT_SOURCE).toBe("'wasm-unsafe-eval'");
  });

  it('says what is missing when the site has no CSP configured', () => {
    expect(() => allowWebAssembly({})).toThrow('allowWebAssembly: the site has no Content-Security-Policy configured (security.csp in astro.config.mjs).');
  });
});
