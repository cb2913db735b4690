// SigLIP's logit scale and bias at fetch time, read from the repository with HTTP range requests
// (GET …/resolve/{commit}/{file} with Range: bytes=…) instead of downloading the weights:
//   1. model.safetensors (the original weights, when the repository has them): 4 small requests —
//      the 8-byte header length, the JSON header, and each of the two 4-byte tensors;
//   2. onnx/model.onnx (the combined graph of the Xenova / onnx-community exports): its protobuf is
//      walked with 256 KiB windows, large initialisers skipped by their length (logit-params.ts).
// Every response is capped at the bytes asked for; a server that ignores Range gets no second
// request. The values go into clipscope.json (fetch.ts), where load.ts finds them.
import { ClipscopeError } from '../errors.ts';
import { authHeaders, encodePath, hubError, type HubContext } from './hub.ts';
import { logitParamsFromOnnxSource, logitParamsFromSafetensors, type ByteSource, type LogitParams } from './logit-params.ts';
import { COMBINED_ONNX, SAFETENSORS } from './family.ts';

/** At most this many bytes are read from one repository file for the two scalars. */
const BUDGET = 64 * 1024 * 1024;

/** The listed size of `path` in a Hub tree listing (lfs.size for LFS files), or undefined. */
function listedSize(tree: readonly unknown[], path: string): number | undefined {
  for (const e of tree) {
    const entry = e as { type?: unknown; path?: unknown; size?: unknown; lfs?: { size?: unknown } | null };
    if (entry?.path !== path || entry.type === 'directory') continue;
    const size = entry.lfs?.size ?? entry.size;
    return typeof size === 'number' && Number.isSafeInteger(size) && size > 0 ? size : undefined;
  }
  return undefined;
}

/** A repository file as a ByteSource over HTTP range requests. */
function remoteSource(o: HubContext, commit: string, path: string, size: number): ByteSource {
  const url = `${o.endpoint}/${encodePath(o.repo)}/resolve/${encodeURIComponent(commit)}/${encodePath(path)}`;
  let spent = 0;
  return {
    size,
    window: 256 * 1024,
    async read(begin, end) {
      end = Math.min(end, size);
      const want = end - begin;
      if (want <= 0) return new Uint8Array(0);
      spent += want;
      if (spent > BUDGET) throw new ClipscopeError('download', `Reading the logit scale and bias from ${path} of ${o.repo} needed more than ${BUDGET / 1024 / 1024} MiB of range requests; gave up.`);
      let res: Response;
      try {
        res = await fetch(url, { headers: { range: `bytes=${begin}-${end - 1}`, ...authHeaders(o.token) }, signal: AbortSignal.timeout(o.idleTimeoutMs) });
      } catch (e) {
        throw new ClipscopeError('network', `Could not read ${path} of ${o.repo} (${(e as Error).message}).`, 'Run the same command again.', { cause: e });
      }
      if (res.status !== 206) {
        await res.body?.cancel();
        if (res.ok) throw new ClipscopeError('download', `${o.endpoint} ignored an HTTP Range request for ${path}: the logit scale and bias cannot be read without downloading the whole file.`);
        throw hubError(res, o, path);
      }
      // Read at most `want` bytes, whatever the server sends.
      const out = new Uint8Array(want);
      let got = 0;
      const reader = res.body!.getReader();
      while (got < want) {
        const { done, value } = await reader.read();
        if (done) break;
        const take = Math.min(value.length, want - got);
        out.set(value.subarray(0, take), got);
        got += take;
      }
      await reader.cancel().catch(() => {});
      if (got < want) throw new ClipscopeError('network', `${path} of ${o.repo}: the server sent ${got} of ${want} bytes of a range.`, 'Run the same command again.');
      return out;
    },
  };
}

/**
 * logit_scale (exp applied) and logit_bias of a SigLIP repository, from model.safetensors or else
 * onnx/model.onnx, by range requests; null when the repository has neither file (or they hold no
 * such values).
 */
export async function remoteLogitParams(o: HubContext, commit: string, tree: readonly unknown[]): Promise<LogitParams | null> {
  const safetensorsSize = listedSize(tree, SAFETENSORS);
  if (safetensorsSize !== undefined) {
    const source = remoteSource(o, commit, SAFETENSORS, safetensorsSize);
    const found = await logitParamsFromSafetensors((b, e) => source.read(b, e), `${SAFETENSORS} of ${o.repo}`);
    if (found) return { ...found, source: SAFETENSORS };
  }
  const onnxSize = listedSize(tree, COMBINED_ONNX);
  if (onnxSize !== undefined) {
    const found = await logitParamsFromOnnxSource(remoteSource(o, commit, COMBINED_ONNX, onnxSize));
    if (found) return { ...found, source: COMBINED_ONNX };
  }
  return null;
}
