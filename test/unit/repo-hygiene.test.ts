// Repository rules a fresh clone depends on, checked over the tracked files:
// - no machine-specific absolute path (this machine's /work/…, a hard-coded /tmp/… instead of
//   os.tmpdir()) in code, and nothing read from the reference material outside the repository
//   (../shared) at run or test time;
// - `npm install` stays on the npm registry: package.json's allowScripts denies onnxruntime-node's
//   install script (its GPU download), CI and the Pages workflow also set ONNXRUNTIME_NODE_INSTALL=skip
//   (for an npm without allowScripts), and .npmrc holds no key npm warns about on every call;
// - package.json declares Node ≥ 22.18 (no flags passed anywhere) and package-lock.json is committed and matches it (npm ci).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

function trackedFiles(): string[] | null {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  } catch {
    return null; // not a git checkout (e.g. an exported tarball): nothing to check
  }
}
/** Every tracked file except this one, whose patterns and titles name the paths it looks for. */
const tracked = trackedFiles()?.filter((f) => f !== 'test/unit/repo-hygiene.test.ts') ?? null;
const CODE = /\.(ts|tsx|js|mjs|cjs|astro|py|sh)$|^\.ci\/run$/;
/** Tracked text files: code and configuration (binary fixtures and images excluded). */
const TEXT = /\.(ts|tsx|js|mjs|cjs|astro|py|sh|json|ya?ml|md|css|html|npmrc|gitignore)$|^\.ci\/run$|^\.npmrc$|^\.gitignore$/;

/** Comment lines may mention where something came from; only code is checked for reads and writes. */
const COMMENT = /^\s*(\/\/|\/\*|\*|#)/;

function offending(files: string[], pattern: RegExp, { skipComments = false } = {}): string[] {
  const hits: string[] = [];
  for (const file of files) {
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (skipComments && COMMENT.test(line)) return;
        if (pattern.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

describe.skipIf(tracked === null)('tracked files', () => {
  it("hold no path of this machine's checkout", () => {
    expect(offending(tracked!.filter((f) => TEXT.test(f)), /\/work\/(main|shared)\b/)).toEqual([]);
  });

  it('write no hard-coded /tmp/ path (temporary files go under os.tmpdir())', () => {
    expect(offending(tracked!.filter((f) => CODE.test(f)), /['"`]\/tmp\//, { skipComments: true })).toEqual([]);
  });

  it('read nothing from ../shared (the reference material is copied into the repository)', () => {
    expect(offending(tracked!.filter((f) => CODE.test(f)), /['"`][^'"`]*\.\.\/shared\b|['"`][^'"`]*\/shared\/(reference|seed|demo-images|clip-bpe)\b/, { skipComments: true })).toEqual([]);
  });
});

describe('install and engines', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('onnxruntime-node’s download of GPU binaries from outside the npm registry is skipped, without an npm warning', () => {
    expect(pkg.allowScripts).toMatchObject({ 'onnxruntime-node': false });
    for (const file of ['.ci/run', '.github/workflows/pages.yml']) {
      expect(readFileSync(join(ROOT, file), 'utf8'), file).toMatch(/ONNXRUNTIME_NODE_INSTALL[=:]\s*skip/);
    }
    // npm 11 warns "Unknown project config" on every npm and npx call for a key it does not know.
    const npmrc = readFileSync(join(ROOT, '.npmrc'), 'utf8');
    expect(npmrc).not.toMatch(/onnxruntime/);
  });

  it('package.json declares Node ≥ 22.18 (unflagged type stripping and node:sqlite)', () => {
    expect(pkg.engines.node).toMatch(/^>=\s*22\.18(\.0)?$/);
  });

  it('no script or command passes the flags Node needed before 22.18', () => {
    const flags = /--experimental-(strip-types|sqlite)/;
    for (const [name, script] of Object.entries(pkg.scripts as Record<string, string>)) expect(script, name).not.toMatch(flags);
    expect(readFileSync(join(ROOT, 'bin/clipscope.js'), 'utf8')).not.toMatch(flags);
  });

  it.skipIf(tracked === null)('package-lock.json is committed and lists exactly the dependencies of package.json', () => {
    expect(tracked).toContain('package-lock.json');
    expect(tracked).toContain('.npmrc');
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    const root = lock.packages[''];
    expect(root.dependencies ?? {}).toEqual(pkg.dependencies ?? {});
    expect(root.devDependencies ?? {}).toEqual(pkg.devDependencies ?? {});
    expect(root.engines).toEqual(pkg.engines);
  });

  it('CI typechecks and lints (Biome, formatter off) and counts both in its last line', () => {
    expect(pkg.scripts.lint).toMatch(/^biome lint\b/);
    expect(pkg.devDependencies).toHaveProperty('@biomejs/biome');
    const biome = readFileSync(join(ROOT, 'biome.jsonc'), 'utf8');
    expect(biome).toMatch(/"formatter":\s*\{\s*"enabled":\s*false\s*\}/);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toMatch(/for check in typecheck lint; do/);
    expect(ci).toMatch(/npm run "\$check"/);
    expect(ci).toMatch(/checks_failed/);
  });

  it.skipIf(tracked === null)('the benchmark\'s peer is bench/package.json\'s own dependency, with its own lock, not the project\'s', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    expect(Object.keys(lock.packages).filter((k) => /node_modules\/@huggingface\/transformers$/.test(k))).toEqual([]);
    // onnxruntime-web is the project's own (the Workbench's text tower): one copy, at onnxruntime-node's
    // minor version — never the peer's nightly.
    expect(Object.keys(lock.packages).filter((k) => /node_modules\/onnxruntime-web$/.test(k))).toEqual(['node_modules/onnxruntime-web']);
    const minor = (name: string) => (lock.packages[`node_modules/${name}`].version as string).split('.').slice(0, 2).join('.');
    expect(minor('onnxruntime-web')).toBe(minor('onnxruntime-node'));
    const bench = JSON.parse(readFileSync(join(ROOT, 'bench/package.json'), 'utf8'));
    expect(Object.keys(bench.dependencies)).toContain('@huggingface/transformers');
    expect(tracked).toContain('bench/package-lock.json');
    expect(tracked).toContain('bench/.npmrc');
    const benchLock = JSON.parse(readFileSync(join(ROOT, 'bench/package-lock.json'), 'utf8'));
    expect(benchLock.packages[''].dependencies).toEqual(bench.dependencies);
  });
});
