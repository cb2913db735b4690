// Placeholder (issue 6 replaces it): reads judgement files (clipscope.judgements/v1) from a folder.
export interface JudgementFile { schema: 'clipscope.judgements/v1'; coder: string; [key: string]: unknown }
export interface JudgementProblem { file: string; reason: string }

export async function readJudgementFiles(_dir: string): Promise<{ files: JudgementFile[]; problems: JudgementProblem[] }> {
  return { files: [], problems: [] };
}
