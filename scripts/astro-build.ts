// `npm run build`'s last step: `astro build` in a child process whose C allocator is told to hold
// less memory. On Linux, glibc's malloc raises its threshold for serving a block from the system
// (mmap) to the largest such block freed so far, so after a few large buffers have come and gone the
// middle-sized ones land on its heap, which does not shrink; and it keeps up to 8 arenas per core.
// A build's freed memory then stays in the process, more of it the more images: the warm build's
// peak rose 1.20 KiB per added image from 1,000 to 100,000 images, 0.76 KiB with both settings below
// (means of 3-4 runs each; bench/notes.md, "glibc's malloc"). The variables must be in the environment
// when the process starts, hence the child. Other C libraries (macOS, Windows, musl) ignore them. A
// value the user set is kept. Arguments are passed on (`npm run build -- --outDir site`).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** glibc's malloc settings for a build (man 3 mallopt): at most 2 arenas (M_ARENA_MAX); blocks of
 * 128 KiB and more always from the system, glibc's own default fixed (M_MMAP_THRESHOLD). */
export const MALLOC_TUNING: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/** The build's environment: `env` with MALLOC_TUNING added where `env` does not set the variable. */
export function buildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, value] of Object.entries(MALLOC_TUNING)) if (out[name] === undefined || out[name] === '') out[name] = value;
  return out;
}

/** Runs `astro build ...args` with buildEnv; resolves to its exit code (128 + n when a signal ended it). */
export function astroBuild(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Astro's own command line (its package.json "bin"; the package does not export the file itself).
  const astro = join(dirname(createRequire(import.meta.url).resolve('astro/package.json')), 'bin', 'astro.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, astro, 'build', ...args], { env: buildEnv(env), stdio: 'inherit' });
    // A signal sent to this process alone (a supervisor's SIGTERM) is passed on; Ctrl-C reaches the
    // child anyway (same process group). Either way this process waits for the child to stop.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  astroBuild(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`Could not start astro build: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
