// The aemStudio.* settings, read fresh each time they are needed.
import * as vscode from 'vscode';
import { BACKENDS, type BackendChoice } from '../config/schema.js';

export const SECTION = 'aemStudio';

export interface Settings {
  concurrency: number;
  defaultBackend: BackendChoice;
  nodePath: string;
  outputFolder: string;
  topK: number;
  /** Initial EMA weight of the live charts (0 = raw). */
  chartSmoothing: number;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const backend = c.get<string>('defaultBackend', 'auto');
  return {
    concurrency: Math.max(1, Math.floor(c.get<number>('concurrency', 1))),
    defaultBackend: (BACKENDS as readonly string[]).includes(backend) ? (backend as BackendChoice) : 'auto',
    nodePath: c.get<string>('nodePath', ''),
    outputFolder: c.get<string>('outputFolder', '.aem/runs') || '.aem/runs',
    topK: Math.max(1, Math.floor(c.get<number>('topK', 1000))),
    chartSmoothing: Math.min(0.99, Math.max(0, Number(c.get<number>('chartSmoothing', 0)) || 0)),
  };
}
