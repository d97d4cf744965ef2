// The experiment New Experiment writes: built as an object and checked with the engine's own parser
// before anything is written, so the file it creates is always valid.
import path from 'node:path';
import { parseExperiment } from '../../config/load.js';
import type { ExperimentInput } from '../../config/schema.js';

export interface NewExperimentAnswers {
  name: string;
  format: 'clam' | 'acmil' | 'synthetic';
  /** Absolute paths; written relative to the experiment's folder when they are below it. */
  features?: string;
  csv?: string;
  lambda: number;
  output: string;
  topK: number;
}

function relativeTo(dir: string, p: string): string {
  const rel = path.relative(dir, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
}

export function newExperimentText(answers: NewExperimentAnswers, folder: string): string {
  const data: ExperimentInput['data'] =
    answers.format === 'synthetic'
      ? { format: 'synthetic', synthetic: { preset: 'demo', seed: 0, classes: 2 } }
      : {
          format: answers.format,
          ...(answers.features ? { features: relativeTo(folder, answers.features) } : {}),
          ...(answers.csv ? { csv: relativeTo(folder, answers.csv) } : {}),
          split: { kind: 'random', seed: 0, val: 0.15, test: 0.25 },
        };
  const experiment: ExperimentInput = {
    name: answers.name,
    data,
    model: { arch: 'abmil', attention: 128, dropout: 0 },
    aem: { regulariser: answers.lambda > 0 ? 'entropy' : 'none', lambda: answers.lambda, schedule: 'cosine' },
    train: { epochs: 50, lr: 2e-4, weightDecay: 1e-5, topK: answers.topK },
    seeds: [0, 1, 2, 3, 4],
    compute: { backend: 'auto', parallel: 1 },
    output: answers.output,
  };
  const text = `${JSON.stringify(experiment, null, 2)}\n`;
  parseExperiment(text, `${answers.name}.aem.json`);
  return text;
}

export const EXPERIMENT_NAME = /^[A-Za-z0-9._-]+$/;
