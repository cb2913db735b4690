// scripts/astro-build.ts: `npm run build` runs astro build with glibc's malloc tuned, keeping what the user set.
import { describe, expect, it } from 'vitest';
import { astroBuild, buildEnv, MALLOC_TUNING } from '../../scripts/astro-build.ts';

describe('buildEnv', () => {
  it.each([
    { name: 'adds the tuning to an environment without it', env: { PATH: '/bin' }, arenas: '2' },
    { name: 'keeps a value the user set', env: { PATH: '/bin', MALLOC_ARENA_MAX: '8' }, arenas: '8' },
    { name: 'treats an empty value as unset', env: { MALLOC_ARENA_MAX: '' }, arenas: '2' },
  ])('$name', ({ env, arenas }) => {
    const out = buildEnv(env);
    expect(out.MALLOC_ARENA_MAX).toBe(arenas);
    expect(out.MALLOC_MMAP_THRESHOLD_).toBe('131072');
    expect(out.PATH).toBe(env.PATH);
    expect(env).not.toHaveProperty('MALLOC_MMAP_THRESHOLD_'); // the caller's object is not changed
  });

  it('sets only the variables MALLOC_TUNING names', () => {
    expect(Object.keys(buildEnv({})).sort()).toEqual(Object.keys(MALLOC_TUNING).sort());
  });
});

describe('astroBuild', () => {
  it("starts Astro's command line and gives its exit code", async () => {
    expect(await astroBuild(['--help'], { ...process.env, NO_COLOR: '1' })).toBe(0);
  }, 60_000);
});
