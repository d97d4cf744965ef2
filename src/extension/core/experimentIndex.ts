// What the tree knows about an experiment file: its name and where its runs are stored, or why it is
// invalid. The run store location follows the engine: <file's folder>/<output>/<name>/.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, parseExperiment } from '../../config/load.js';
import type { Experiment } from '../../config/schema.js';

export interface ExperimentInfo {
  file: string;
  /** Present when the file is valid. */
  experiment?: Experiment;
  name?: string;
  /** <output>, resolved; runs are in <outputRoot>/<name>/. */
  outputRoot?: string;
  problem?: string;
}

export function readExperimentInfo(file: string, text?: string): ExperimentInfo {
  try {
    const experiment = parseExperiment(text ?? readFileSync(file, 'utf8'), file);
    return { file, experiment, name: experiment.name, outputRoot: path.resolve(path.dirname(file), experiment.output) };
  } catch (err) {
    if (err instanceof ConfigError) return { file, problem: `${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}: ${err.problems[0]?.message ?? ''}` };
    return { file, problem: err instanceof Error ? err.message : String(err) };
  }
}
