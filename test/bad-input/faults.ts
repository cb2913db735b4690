// Fault injection for the robustness tests, preloaded into a clipscope process (the CLI or
// `astro build`) with `NODE_OPTIONS=--import <this file>` and configured by the environment
// variable CLIPSCOPE_TEST_FAULTS (JSON). It wraps Node's own fs functions, so the code under test
// runs unchanged; each fault fires at one exact point, which turns races and crashes into
// deterministic tests. Paths are matched by suffix ("race/changes.png" matches any path ending in
// "/race/changes.png"); file names by their base name.
//
//   onRead: { "<suffix>": { unlink: true } | { replaceWith: "<file>" } }
//       when fs.promises.readFile reads the file (the engine reads an image only to decode it, after
//       discovery and hashing), delete it first, or overwrite it with other bytes first. Once.
//   deny: ["<suffix>", …]
//       access, open, readFile and createReadStream fail with EACCES, as for a mode-000 file
//       read by a user other than root (root reads any file).
//   kill: { file: "<base name>", at: "write-half" | "before-rename" | "after-rename" }
//       SIGKILL this process while `file` is being written: after half of its bytes reached the
//       disk (through a temporary file of the atomic writer or a plain writeFile), just before the
//       temporary file is renamed over it, or just after.
//   kill: { file: "<suffix>", at: "read" }
//       SIGKILL this process when fs.promises.readFile reads that file (an image being read for
//       decoding: the run dies in the middle of embedding, at a known image).
//   enospc: { file: "<base name>" }
//       writing `file` (its temporary file or the file itself) writes half of the bytes and then
//       fails with ENOSPC, as on a full disk.
//
// Only the configured names are affected; every other file system call passes through untouched.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { writeSync, fsyncSync } from 'node:fs';

interface Faults {
  onRead?: Record<string, { unlink?: boolean; replaceWith?: string }>;
  deny?: string[];
  kill?: { file: string; at: 'write-half' | 'before-rename' | 'after-rename' | 'read' };
  enospc?: { file: string };
}

const require = createRequire(import.meta.url);
const fs = require('node:fs') as typeof import('node:fs');
const fsp = require('node:fs/promises') as typeof import('node:fs/promises');

const faults: Faults = JSON.parse(process.env.CLIPSCOPE_TEST_FAULTS || '{}');
const pending = new Map(Object.entries(faults.onRead ?? {}));

const pathOf = (p: unknown): string => (typeof p === 'string' ? p : p instanceof URL ? p.pathname : Buffer.isBuffer(p) ? p.toString() : '');
const endsWith = (p: unknown, suffix: string) => pathOf(p).endsWith(`/${suffix}`);
const denied = (p: unknown) => (faults.deny ?? []).some((s) => endsWith(p, s));

function errno(code: 'EACCES' | 'ENOSPC', syscall: string, path?: string): NodeJS.ErrnoException {
  const text = code === 'EACCES' ? 'permission denied' : 'no space left on device';
  const e = new Error(`${code}: ${text}, ${syscall}${path ? ` '${path}'` : ''}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = code === 'EACCES' ? -13 : -28;
  e.syscall = syscall;
  if (path) e.path = path;
  return e;
}

/** Whether `p` is `file` itself or a temporary file written to become it (".<file>.<…>.tmp"). */
function writes(p: unknown, file: string | undefined): boolean {
  if (!file) return false;
  const name = basename(pathOf(p));
  return name === file || (name.startsWith(`.${file}.`) && name.endsWith('.tmp')) || (name.startsWith(`${file}.`) && name.endsWith('.tmp'));
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is delivered before this line runs; keep the type checker and any odd platform honest.
  throw new Error('unreachable');
}

function half(data: unknown): Buffer {
  // Text, bytes, or text in pieces (the atomic writer's iterables: results.csv/json are written chunk by chunk).
  const bytes =
    typeof data === 'string' || data instanceof Uint8Array
      ? Buffer.from(data as string)
      : Buffer.concat([...(data as Iterable<string | Uint8Array>)].map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  return bytes.subarray(0, Math.max(1, bytes.length >> 1));
}

/** Write half of `data` to the descriptor synchronously (so it is in the file before we die). */
function writeHalf(fd: number, data: unknown): void {
  writeSync(fd, half(data));
  fsyncSync(fd);
}

// --- reads ---------------------------------------------------------------------------------------
const readFile = fsp.readFile;
fsp.readFile = (async (path: Parameters<typeof readFile>[0], ...rest: unknown[]) => {
  if (denied(path)) throw errno('EACCES', 'open', pathOf(path));
  if (faults.kill?.at === 'read' && endsWith(path, faults.kill.file)) die();
  for (const [suffix, action] of pending) {
    if (!endsWith(path, suffix)) continue;
    pending.delete(suffix);
    if (action.unlink) await fsp.unlink(pathOf(path));
    if (action.replaceWith) await fsp.copyFile(action.replaceWith, pathOf(path));
  }
  return (readFile as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
}) as typeof readFile;

const access = fsp.access;
fsp.access = (async (path: Parameters<typeof access>[0], mode?: number) => {
  if (denied(path)) throw errno('EACCES', 'access', pathOf(path));
  return access(path, mode);
}) as typeof access;

const createReadStream = fs.createReadStream;
fs.createReadStream = ((path: Parameters<typeof createReadStream>[0], options?: unknown) => {
  if (denied(path)) {
    // Fail the way a real open does: asynchronously, as an 'error' event.
    const stream = createReadStream('/dev/null', options as never);
    stream.destroy(errno('EACCES', 'open', pathOf(path)));
    return stream;
  }
  return createReadStream(path, options as never);
}) as typeof createReadStream;

// --- writes --------------------------------------------------------------------------------------
const open = fsp.open;
const probe = await open('/dev/null', 'r');
const FileHandle = Object.getPrototypeOf(probe) as { writeFile(this: { fd: number }, data: unknown, options?: unknown): Promise<void> };
await probe.close();

fsp.open = (async (path: Parameters<typeof open>[0], ...rest: unknown[]) => {
  if (denied(path)) throw errno('EACCES', 'open', pathOf(path));
  const handle = await (open as (...a: unknown[]) => Promise<import('node:fs/promises').FileHandle>)(path, ...rest);
  (handle as unknown as { __target: string }).__target = pathOf(path);
  return handle;
}) as typeof open;

const handleWriteFile = FileHandle.writeFile;
FileHandle.writeFile = async function (this: { fd: number; __target?: string }, data: unknown, options?: unknown) {
  if (faults.kill?.at === 'write-half' && writes(this.__target, faults.kill.file)) {
    writeHalf(this.fd, data);
    die();
  }
  if (writes(this.__target, faults.enospc?.file)) {
    writeHalf(this.fd, data);
    throw errno('ENOSPC', 'write');
  }
  return handleWriteFile.call(this, data, options);
};

const writeFile = fsp.writeFile;
fsp.writeFile = (async (path: Parameters<typeof writeFile>[0], data: unknown, options?: unknown) => {
  const kill = faults.kill?.at === 'write-half' && writes(path, faults.kill.file);
  const full = writes(path, faults.enospc?.file);
  if (kill || full) {
    const handle = await open(pathOf(path), 'w');
    try {
      writeHalf(handle.fd, data);
    } finally {
      if (!kill) await handle.close();
    }
    if (kill) die();
    throw errno('ENOSPC', 'write', pathOf(path));
  }
  return writeFile(path, data as string, options as never);
}) as typeof writeFile;

const rename = fsp.rename;
fsp.rename = (async (from: Parameters<typeof rename>[0], to: Parameters<typeof rename>[1]) => {
  const hit = faults.kill && (faults.kill.at === 'before-rename' || faults.kill.at === 'after-rename') && basename(pathOf(to)) === faults.kill.file;
  if (hit && faults.kill!.at === 'before-rename') die();
  await rename(from, to);
  if (hit && faults.kill!.at === 'after-rename') die();
}) as typeof rename;

syncBuiltinESMExports();
