// The dependency rules of the code base, checked on every test run:
// - dependencies point one way: core ← engine ← (cli, clipscope integration) ← src (the site);
//   scripts/, bench/ and test/ sit on top and may import anything;
// - integrations/core is browser-safe: it imports no Node built-in, so the site's islands can use it;
// - the validation widget (a React island, bundled for the browser) reaches no Node built-in either;
// - no folder has an import cycle (nor does the whole graph).
// Imports are read from the source text (static `import … from`, `export … from`, `import '…'`,
// dynamic `import('…')`), relative ones resolved to repository paths.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE = /\.(ts|tsx|mts|mjs|js|astro)$/;
const FOLDERS = ['integrations', 'src', 'scripts', 'bench', 'bin'];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, path).split('\\').join('/'));
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The import specifiers of a source text (comments removed first). */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

interface Edge {
  from: string;
  to: string;
}

function graph(files: readonly string[]): { edges: Edge[]; builtins: Map<string, string[]> } {
  const edges: Edge[] = [];
  const builtins = new Map<string, string[]>();
  for (const file of files) {
    for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
      if (spec.startsWith('.')) edges.push({ from: file, to: relative(root, resolve(root, dirname(file), spec)).split('\\').join('/') });
      else if (spec.startsWith('node:')) builtins.set(file, [...(builtins.get(file) ?? []), spec]);
    }
  }
  return { edges, builtins };
}

const files = FOLDERS.flatMap((f) => walk(join(root, f)));
const { edges, builtins } = graph(files);

/** The layer of a path, or null for files the rules leave free (scripts, bench, test, bin). */
function layer(path: string): string | null {
  for (const l of ['integrations/core/', 'integrations/engine/', 'integrations/cli/', 'integrations/clipscope/', 'src/']) if (path.startsWith(l)) return l;
  return null;
}

const ALLOWED: Record<string, readonly string[]> = {
  'integrations/core/': ['integrations/core/'],
  // package.json: the engine reads its own version from the package manifest (version.ts).
  'integrations/engine/': ['integrations/engine/', 'integrations/core/', 'package.json'],
  'integrations/cli/': ['integrations/cli/', 'integrations/engine/', 'integrations/core/'],
  'integrations/clipscope/': ['integrations/clipscope/', 'integrations/engine/', 'integrations/core/'],
  'src/': ['src/', 'integrations/clipscope/', 'integrations/core/'],
};

/** Strongly connected components with more than one file (Tarjan), each sorted. */
function cycles(nodes: readonly string[], next: (n: string) => readonly string[]): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next(v).includes(v)) out.push(scc.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return out;
}

describe('architecture', () => {
  it('reads imports of every kind from source text', () => {
    const text = [
      "import a from './a.ts';",
      "import type { B } from '../b.ts';",
      "import { c,\n  d } from 'pkg';",
      "export { e } from './e.ts';",
      "import './side-effect.css';",
      "const m = await import('./lazy.ts');",
      "// import gone from './commented.ts';",
      "/* import gone2 from './block.ts'; */",
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.ts', '../b.ts', 'pkg', './e.ts', './side-effect.css', './lazy.ts']);
  });

  it('finds a cycle and only a cycle', () => {
    const g: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: ['a'], e: [] };
    expect(cycles(Object.keys(g), (n) => g[n] ?? [])).toEqual([['a', 'b', 'c']]);
  });

  it('sees the source tree (the rules below check something)', () => {
    expect(files.filter((f) => f.startsWith('integrations/engine/')).length).toBeGreaterThan(15);
    expect(files.filter((f) => f.startsWith('integrations/core/')).length).toBeGreaterThan(3);
    expect(files.filter((f) => f.startsWith('src/')).length).toBeGreaterThan(10);
  });

  it('dependencies point one way: core ← engine ← cli, clipscope ← src', () => {
    const wrong = edges
      .filter((e) => {
        const from = layer(e.from);
        return from !== null && !ALLOWED[from].some((l) => e.to.startsWith(l));
      })
      .map((e) => `${e.from} → ${e.to}`);
    expect(wrong).toEqual([]);
  });

  it('integrations/core is browser-safe (no Node built-ins)', () => {
    const offenders = [...builtins].filter(([file]) => file.startsWith('integrations/core/')).map(([f, b]) => `${f}: ${b.join(', ')}`);
    expect(offenders).toEqual([]);
  });

  it('the browser islands and scripts reach no Node built-in through their imports', () => {
    // React islands, and the plain scripts pages load (src/scripts: the large view, Explore, chart SVG).
    const islands = files.filter((f) => (f.startsWith('src/components/') && f.endsWith('.tsx')) || f.startsWith('src/scripts/'));
    expect(islands.filter((f) => f.startsWith('src/scripts/')).length).toBeGreaterThan(0);
    const reached = new Set<string>();
    const todo = [...islands];
    while (todo.length) {
      const f = todo.pop()!;
      if (reached.has(f)) continue;
      reached.add(f);
      // `import type` is erased before bundling: follow only imports that reach the bundle.
      const text = readFileSync(join(root, f), 'utf8');
      const code = text.replace(/import\s+type\s[^;]+;/g, '');
      for (const spec of importsOf(code)) if (spec.startsWith('.') && SOURCE.test(spec)) todo.push(relative(root, resolve(root, dirname(f), spec)));
    }
    const offenders = [...reached].filter((f) => builtins.has(f));
    expect(offenders).toEqual([]);
  });

  it('no import cycles', () => {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    expect(cycles(files, (n) => next.get(n) ?? [])).toEqual([]);
  });
});
