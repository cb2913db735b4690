// The GitHub Pages workflow (.github/workflows/pages.yml) read as GitHub reads it: the steps a
// publish needs, in order, with the settings the report depends on (Node 24, npm ci, typecheck and
// lint before the build, the cache of embeddings and thumbnails, the base path from configure-pages,
// the optional Hub model).
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  id?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[]; needs?: string; environment?: { name: string } }>;
}

const workflow = parse(await readFile(new URL('../../.github/workflows/pages.yml', import.meta.url), 'utf8')) as Workflow;
const build = workflow.jobs.build.steps;
const deploy = workflow.jobs.deploy.steps;
const action = (steps: Step[], name: string) => steps.find((s) => s.uses?.startsWith(`actions/${name}@`));
const index = (step: Step | undefined) => build.indexOf(step!);

// The first major of each action that runs on Node 24 (Node 20 is gone from GitHub's runners;
// upload-pages-artifact is composite and from v5 on calls an upload-artifact that runs on Node 24).
const NODE24_MAJOR: Record<string, number> = {
  checkout: 5,
  'setup-node': 5,
  cache: 5,
  'configure-pages': 6,
  'upload-pages-artifact': 5,
  'deploy-pages': 5,
};

describe('the Pages workflow', () => {
  it('uses only actions on their Node 24 majors', () => {
    const used = [...build, ...deploy].filter((s) => s.uses).map((s) => s.uses!);
    expect(used.length).toBeGreaterThanOrEqual(6);
    for (const uses of used) {
      const m = /^actions\/([\w-]+)@v(\d+)$/.exec(uses);
      expect(m, uses).not.toBeNull();
      expect(NODE24_MAJOR[m![1]], `${uses}: unknown action`).toBeDefined();
      expect(Number(m![2]), uses).toBeGreaterThanOrEqual(NODE24_MAJOR[m![1]]);
    }
  });

  it('publishes on a push to main with the Pages permissions, build before deploy', () => {
    expect(workflow.on).toHaveProperty('push.branches', ['main']);
    expect(workflow.permissions).toEqual({ contents: 'read', pages: 'write', 'id-token': 'write' });
    expect(workflow.jobs.deploy.needs).toBe('build');
    expect(workflow.jobs.deploy.environment?.name).toBe('github-pages');
  });

  it('installs with npm ci on Node 24 and builds with npm run build under the Pages base path', () => {
    const node = action(build, 'setup-node');
    expect(String(node?.with?.['node-version'])).toBe('24');
    const install = build.find((s) => s.run?.startsWith('npm ci'));
    const buildStep = build.find((s) => s.run === 'npm run build');
    const pages = action(build, 'configure-pages');
    expect(install && buildStep && pages).toBeTruthy();
    expect(buildStep!.env?.CLIPSCOPE_BASE).toBe(`\${{ steps.${pages!.id}.outputs.base_path }}/`);
    expect(index(node)).toBeLessThan(index(install));
    expect(index(install)).toBeLessThan(index(buildStep));
    expect(action(build, 'upload-pages-artifact')?.with?.path).toBe('dist');
  });

  it('typechecks and lints (as CI does) after the install and before the build', () => {
    const install = build.find((s) => s.run?.startsWith('npm ci'));
    const typecheck = build.find((s) => s.run === 'npm run typecheck');
    const lint = build.find((s) => s.run === 'npm run lint');
    const buildStep = build.find((s) => s.run === 'npm run build');
    expect(typecheck && lint && buildStep).toBeTruthy();
    expect(index(install)).toBeLessThan(index(typecheck));
    expect(index(install)).toBeLessThan(index(lint));
    expect(index(typecheck)).toBeLessThan(index(buildStep));
    expect(index(lint)).toBeLessThan(index(buildStep));
  });

  it('restores the .clipscope cache before the build, saved under a new key each run', () => {
    const cache = build.find((s) => s.uses?.startsWith('actions/cache@') && s.with?.path === '.clipscope');
    expect(cache).toBeDefined();
    // Cache entries are immutable: a fixed key would keep the first run's cache forever.
    expect(String(cache!.with!.key)).toContain('${{ github.run_id }}');
    expect(String(cache!.with!['restore-keys']).trim()).toBe('clipscope-${{ runner.os }}-');
    expect(index(cache)).toBeLessThan(build.findIndex((s) => s.run === 'npm run build'));
  });

  it('can fetch a real model from the Hub (repository variable CLIPSCOPE_MODEL_ID) and builds with it', () => {
    const fetch = build.find((s) => s.run?.includes('clipscope model fetch'));
    expect(fetch?.if).toBe("vars.CLIPSCOPE_MODEL_ID != ''");
    const folder = /--name (\S+)/.exec(fetch!.run!)![1];
    const cached = build.find((s) => s.uses?.startsWith('actions/cache@') && s.with?.path === `models/${folder}`);
    expect(cached?.if).toBe(fetch!.if);
    expect(index(cached)).toBeLessThan(index(fetch));
    const buildStep = build.find((s) => s.run === 'npm run build')!;
    expect(index(fetch)).toBeLessThan(index(buildStep));
    expect(buildStep.env?.CLIPSCOPE_MODEL).toBe(`\${{ vars.CLIPSCOPE_MODEL_ID != '' && 'models/${folder}' || vars.CLIPSCOPE_MODEL }}`);
  });
});
