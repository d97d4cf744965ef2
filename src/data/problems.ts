// Builds the DataProblem messages the readers and the index report: what is wrong, where, and the fix.
import { DataError, type DataProblem } from './types.js';

export interface ProblemAt {
  file?: string;
  slideId?: string;
}

/** "<slide> (<file>): <what>. <fix>" — every message names the slide and file it is about, and how to fix it. */
export function dataProblem(what: string, fix: string, at: ProblemAt = {}): DataProblem {
  const where = [at.slideId, at.file && (at.slideId ? `(${at.file})` : at.file)].filter(Boolean).join(' ');
  const message = `${where ? `${where}: ` : ''}${what}. ${fix}`;
  const p: DataProblem = { message };
  if (at.file !== undefined) p.file = at.file;
  if (at.slideId !== undefined) p.slideId = at.slideId;
  return p;
}

export function dataError(what: string, fix: string, at: ProblemAt = {}): DataError {
  return new DataError([dataProblem(what, fix, at)]);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A stat / open failure as a DataError: missing file, or another reason (permissions) passed on by its code. */
export function fileAccessError(err: unknown, at: ProblemAt): DataError {
  if (err instanceof DataError) return err;
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (code === 'ENOENT') return dataError('file not found', 'Check data.features and the slide_id, or remove the slide from the CSV', at);
  return dataError(`cannot read the file (${code || errorText(err)})`, 'Check that the file exists and is readable', at);
}
