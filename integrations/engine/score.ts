// Scoring lives in core/score.ts (browser-safe), so the build and the report's Workbench page score
// with the same code; the engine's modules and tests import it from here as before.
export { categoryEmbeddings, l2normalize, matmulTransposed, minProbabilityFor, scoreImages, softmax, topIndices } from '../core/score.ts';
export type { ImageScore, ScoreInput, ScorePhrase } from '../core/score.ts';
