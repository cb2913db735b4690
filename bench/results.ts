// The shape of bench/.work/results.json: written by run.ts, read back by report.ts. Its own module so
// that run.ts (which renders the report) and report.ts (which reads the results) do not import each
// other. The measurements are loosely typed JSON: each task adds its own fields (see tasks.ts).
import type { Machine } from './machine.ts';
import type { TaskResult } from './tasks.ts';

/** The command line of one `npm run bench` (see run.ts). */
export interface Args {
  n: number;
  repeat: number;
  batchSizes: number[];
  sweep: number;
  threads: number;
  peerBatch: number;
  scale: boolean;
  scaleOnly: boolean;
  scaleSizes: number[];
  levers: boolean;
  siteScale: boolean;
  siteScaleSizes: number[];
  siteScaleKeep: boolean;
  siteScaleWarmRuns: number;
  docsOnly: boolean;
  peer: boolean;
  int8: boolean;
  docs: boolean;
}

/** One task's RESULT line with the fields that task adds. */
export type R = TaskResult & Record<string, any>;

/** Cosine agreement of two sets of embeddings of the same files. */
export interface Agreement {
  count: number;
  min: number;
  median: number;
  mean: number;
  /** Images below 0.999. */
  below: number;
  worst: { file: string; cosine: number }[];
}

export interface Results {
  schema: 'clipscope.bench/v1';
  startedAt: string;
  finishedAt?: string;
  machine: Machine;
  args: Args;
  inputs: Record<string, unknown>;
  runs: Record<string, R[]>;
  summary: Record<string, any>;
  scale?: Record<string, any>;
  levers?: Record<string, any>;
  /** `--site-scale`: kept in bench/.work/site-scale.json as well (it runs on its own). */
  siteScale?: Record<string, any>;
}
