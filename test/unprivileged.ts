// Permission tests: chmod 000 does not stop root, so when the tests run as root, a permission check
// runs in a child process as the unprivileged user "nobody". That child must be able to start this
// Node and read the repository's modules, which it cannot when the checkout (or the Node that
// .ci/run installs inside it) lies under a folder only root may enter, e.g. /root or a mkdtemp
// folder. Such a check cannot be made on that machine: the test is skipped there instead of failing.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

export const NOBODY = { uid: 65534, gid: 65534 };
export const runningAsRoot = process.getuid?.() === 0;

/** Whether user nobody can start this Node and read the module at `moduleUrl`. */
export function nobodyCanRun(moduleUrl: URL): boolean {
  const file = JSON.stringify(fileURLToPath(moduleUrl));
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${file}, ${constants.R_OK})`], { ...NOBODY, cwd: tmpdir(), stdio: 'ignore' });
  return probe.status === 0;
}

/** True when a permission test cannot be made here: running as root and nobody cannot run the check. */
export function permissionCheckImpossible(moduleUrl: URL): boolean {
  return runningAsRoot && !nobodyCanRun(moduleUrl);
}
