// The Hugging Face Hub's API, as far as a model download needs it (steps 1 and 2 of fetch.ts):
//
//   GET {endpoint}/api/models/{repo}/revision/{revision}   → the commit the revision points at.
//   GET {endpoint}/api/models/{repo}/tree/{commit}?recursive=true (paged by `Link: rel="next"`)
//     → path, size, git oid and, for LFS files, lfs.oid (sha256) and lfs.size.
//
// Also what every request shares: the token header, and messages for the Hub's error answers.
import { ClipscopeError, show } from '../errors.ts';
import { MODEL_VARIANTS, modelFolderFiles, type ModelVariant } from './layout.ts';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** Hub endpoint and token from the environment (HF_ENDPOINT, HF_TOKEN), as huggingface_hub reads them. */
export function hubFromEnv(env: NodeJS.ProcessEnv): { endpoint: string; token?: string } {
  const endpoint = env.HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT;
  const token = env.HF_TOKEN?.trim() || undefined;
  return { endpoint, token };
}

/** Which repository is read from where, and how long a request may wait for data. */
export interface HubContext {
  repo: string;
  revision: string;
  endpoint: string;
  token?: string;
  idleTimeoutMs: number;
}

/** A file of the model folder as the listing describes it. */
export interface WantedFile {
  path: string;
  /** Bytes, as listed (a non-negative integer: malformed listings are refused). */
  size: number;
  sha256?: string;
  /** git blob sha1 of a non-LFS file. */
  gitOid?: string;
}

/** One entry of the Hub's tree listing, as received (nothing in it is trusted). */
interface TreeEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; size?: unknown } | null;
}

const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;

export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The code (ECONNREFUSED, …) or message of a failed request, for messages. */
export function describeCause(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e);
}

function networkError(what: string, endpoint: string, error: unknown): ClipscopeError {
  return new ClipscopeError(
    'network',
    `Could not reach ${endpoint} while ${what} (${describeCause(error)}).`,
    'Check the network connection (and HF_ENDPOINT if you use a mirror), then run the same command again: finished files are kept and a partial one resumes.',
    { cause: error },
  );
}

/** Turns a failed Hub answer into a message that says what to do. */
export function hubError(res: Response, o: HubContext, path?: string): ClipscopeError {
  const code = res.headers.get('x-error-code');
  const { repo, revision, endpoint } = o;
  const url = `${endpoint}/${repo}`;
  if (path && res.status === 404 && code === 'EntryNotFound') {
    return new ClipscopeError('network', `${path} of ${repo} is listed but could not be downloaded (HTTP 404).`, 'The repository may have changed meanwhile: run the same command again.');
  }
  if (code === 'RevisionNotFound') {
    return new ClipscopeError('model', `Revision ${show(revision)} of ${repo} was not found on ${endpoint}.`, `Check the branch, tag or commit given to --revision (see ${url}/tree/main).`);
  }
  if (res.status === 404 || res.status === 401) {
    return new ClipscopeError(
      'model',
      `Model repository ${show(repo)} was not found on ${endpoint} (HTTP ${res.status}).`,
      `Check the repository id (owner/name, e.g. Xenova/clip-vit-base-patch32). A private repository needs a token in HF_TOKEN.`,
    );
  }
  if (res.status === 403) {
    return new ClipscopeError('model', `Access to ${repo} was refused (HTTP 403): it is gated or private.`, `Accept its terms at ${url} and set HF_TOKEN to a token of that account.`);
  }
  if (res.status === 429) {
    return new ClipscopeError('network', `${endpoint} is rate-limiting requests (HTTP 429).`, 'Wait a few minutes and run the same command again; setting HF_TOKEN raises the limit.');
  }
  return new ClipscopeError('network', `${endpoint} answered HTTP ${res.status} ${res.statusText} for ${repo}.`, 'Run the same command again later; finished files are kept and a partial one resumes.');
}

async function getJson(url: string, what: string, o: HubContext): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...authHeaders(o.token) }, signal: AbortSignal.timeout(o.idleTimeoutMs) });
  } catch (e) {
    throw networkError(what, o.endpoint, e);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw hubError(res, o);
  }
  return res;
}

/** The commit a branch or tag points at (a commit id resolves to itself). */
export async function resolveCommit(o: HubContext): Promise<string> {
  const url = `${o.endpoint}/api/models/${encodePath(o.repo)}/revision/${encodeURIComponent(o.revision)}`;
  const res = await getJson(url, `looking up ${o.repo}`, o);
  const info = (await res.json().catch(() => ({}))) as { sha?: unknown };
  // A server without commit ids (a plain mirror) still works: the revision itself is then used.
  return typeof info.sha === 'string' && /^[0-9a-f]{7,64}$/.test(info.sha) ? info.sha : o.revision;
}

function unexpectedListing(o: HubContext, what: string): ClipscopeError {
  return new ClipscopeError('network', `${o.endpoint} sent an unexpected file listing for ${o.repo}${what}.`, 'Check HF_ENDPOINT: it must be a Hugging Face Hub (or a mirror with the same API).');
}

/** The repository's files at `commit`, following the Hub's `Link: <…>; rel="next"` pages. */
export async function listTree(o: HubContext, commit: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  let url: string | undefined = `${o.endpoint}/api/models/${encodePath(o.repo)}/tree/${encodeURIComponent(commit)}?recursive=true`;
  for (let page = 0; url && page < 1000; page++) {
    const res = await getJson(url, `listing the files of ${o.repo}`, o);
    const body = (await res.json().catch(() => null)) as unknown;
    if (!Array.isArray(body)) throw unexpectedListing(o, '');
    entries.push(...(body.filter((e) => e && typeof e === 'object') as TreeEntry[]));
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    url = next ? new URL(next, url).href : undefined;
  }
  return entries;
}

const isByteCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Picks the files of a model folder from the listing; says which are missing. Every picked entry
 * must state its size as a byte count: the download stops at that size and checks it, so a listing
 * without one is refused before anything is downloaded. */
export function selectFiles(entries: readonly TreeEntry[], variant: ModelVariant, o: HubContext): WantedFile[] {
  const files = new Map(entries.filter((e) => e.type !== 'directory' && typeof e.path === 'string').map((e) => [e.path as string, e]));
  const { required, optional } = modelFolderFiles(variant);
  const missing = required.filter((p) => !files.has(p));
  if (missing.length > 0) {
    // The variants whose two graphs the repository does have, so the command can be fixed at once.
    const offered = MODEL_VARIANTS.filter((v) => v !== variant && modelFolderFiles(v).required.every((p) => files.has(p)));
    const graphsOnly = missing.every((p) => p.startsWith('onnx/'));
    throw new ClipscopeError(
      'model',
      `${o.repo} has no ${missing.join(', ')}: clipscope needs a CLIP export in the Hugging Face ONNX layout (separate vision and text graphs${variant === 'fp32' ? '' : `, here of variant "${variant}"`}).`,
      graphsOnly && offered.length > 0
        ? `The repository has the graphs of variant ${offered.map((v) => `"${v}"`).join(', ')}: run the command with --variant ${offered[0]}${offered[0] === 'quantized' ? ' (or --quantized)' : ''}.`
        : 'Use a CLIP repository with onnx/vision_model.onnx and onnx/text_model.onnx, e.g. Xenova/clip-vit-base-patch32 (`clipscope model list` shows more).',
    );
  }
  return [...required, ...optional.filter((p) => files.has(p))].map((path) => {
    const e = files.get(path)!;
    const lfs = e.lfs && typeof e.lfs === 'object' ? e.lfs : undefined;
    const size = lfs ? lfs.size : e.size;
    if (!isByteCount(size)) throw unexpectedListing(o, `: ${path} is listed with size ${show(size)}, not a number of bytes`);
    const sha256 = lfs && typeof lfs.oid === 'string' && SHA256.test(lfs.oid) ? lfs.oid : undefined;
    const gitOid = !lfs && typeof e.oid === 'string' && SHA1.test(e.oid) ? e.oid : undefined;
    return { path, size, sha256, gitOid };
  });
}
