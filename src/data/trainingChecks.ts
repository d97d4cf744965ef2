// What training needs of a dataset beyond a readable, consistent scan: val and test with two classes
// or more, and finite feature values. Training and `inspect` both call these, so inspect passes exactly
// the data that training accepts.
import { dataProblem } from './problems.js';
import { DataError, type DataProblem, type DatasetIndex, type SplitName } from './types.js';

export interface SplitMember {
  split?: SplitName;
  /** Class id. */
  label?: number;
}

const EVALUATED: readonly SplitName[] = ['val', 'test'];

function classesIn(slides: readonly SplitMember[], split: SplitName): { count: number; present: Set<number> } {
  const inSplit = slides.filter((s) => s.split === split && s.label !== undefined);
  return { count: inSplit.length, present: new Set(inSplit.map((s) => s.label as number)) };
}

/** Val and test with a single class: AUROC is undefined there, and val picks the best epoch. */
export function splitProblems(slides: readonly SplitMember[], classes: readonly string[]): DataProblem[] {
  const problems: DataProblem[] = [];
  for (const split of EVALUATED) {
    const { count, present } = classesIn(slides, split);
    if (count === 0 || present.size > 1) continue; // an empty split is the scan's problem
    const only = classes[[...present][0] ?? 0];
    problems.push({
      message: `the ${split} split has only class "${only}" (${count} slide${count > 1 ? 's' : ''}): AUROC is undefined there and ${split === 'val' ? 'the best epoch cannot be chosen' : 'the test result would mean nothing'}; move slides of the other classes into it`,
    });
  }
  return problems;
}

/** A class missing from val or test: its one-vs-rest AUROC, and so the macro AUROC, is undefined every epoch. */
export function splitWarnings(slides: readonly SplitMember[], classes: readonly string[]): DataProblem[] {
  const warnings: DataProblem[] = [];
  for (const split of EVALUATED) {
    const { count, present } = classesIn(slides, split);
    if (present.size < 2) continue; // a problem already
    const missing = classes.filter((_, id) => !present.has(id));
    if (missing.length === 0) continue;
    warnings.push(
      dataProblem(
        `the ${split} split (${count} slides) has no slide of class${missing.length > 1 ? 'es' : ''} ${missing.map((c) => `"${c}"`).join(', ')}, so its macro AUROC is undefined every epoch`,
        'Move slides of every class into it, or correct the labels',
      ),
    );
  }
  return warnings;
}

/** Throws DataError when an index's splits cannot train (see splitProblems). */
export function checkSplitsForTraining(index: DatasetIndex): void {
  const problems = splitProblems(index.slides, index.classes);
  if (problems.length > 0) throw new DataError(problems);
}

/** The problem with a bag's feature values, if any: no instances, or a NaN / infinite value. */
export function featureValueProblem(at: { slideId: string; file: string }, n: number, nonFiniteRow: number): DataProblem | undefined {
  if (n === 0) return dataProblem('the bag has no instances (0 patches)', 'Remove the slide from the CSV, or extract its patches again', at);
  if (nonFiniteRow >= 0) return dataProblem(`instance row ${nonFiniteRow} has a NaN or infinite feature value`, 'Extract the slide\'s features again, or remove the slide', at);
  return undefined;
}
