// One command in its own process under GNU time (`/usr/bin/time -f 'TIME %e %U %S %M'`): its exit
// code, the time line (wall, user, system seconds and peak RSS in KiB; parsed by site-scale.ts
// parseBuildOutput) and everything else it printed, stdout and stderr together.
import { spawn } from 'node:child_process';

export interface TimedRun {
  code: number | null;
  /** "%e %U %S %M" of the run; empty when time printed none (the command could not start). */
  timeLine: string;
  /** What the command printed, without the time line. */
  log: string;
}

export function runTimed(argv: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<TimedRun> {
  return new Promise((done) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...argv], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('close', (code) => {
      const timeLine = /^TIME (.*)$/m.exec(out)?.[1] ?? '';
      done({ code, timeLine, log: out.replace(/^TIME .*$/m, '') });
    });
  });
}
