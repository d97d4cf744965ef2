// New Experiment (a guided quick pick that writes a valid file) and Open Demo Experiment.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { applyEdits, modify } from 'jsonc-parser';
import { EXPERIMENT_NAME, newExperimentText, type NewExperimentAnswers } from './core/experimentTemplate.js';
import { readSettings } from './settings.js';

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showErrorMessage('AEM: open a folder first: experiments and their runs live in the workspace.');
    return undefined;
  }
  if (folders.length === 1) return folders[0]?.uri;
  return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder for the experiment' }))?.uri;
}

async function openFile(file: string): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
}

export async function newExperiment(): Promise<string | undefined> {
  const folder = await pickFolder();
  if (!folder) return undefined;
  const name = await vscode.window.showInputBox({
    title: 'New AEM experiment (1/4)',
    prompt: 'Experiment name (runs are stored under <output>/<name>/)',
    value: 'my-experiment',
    validateInput: (v) => (EXPERIMENT_NAME.test(v) ? (existsSync(path.join(folder.fsPath, `${v}.aem.json`)) ? `${v}.aem.json already exists` : undefined) : 'letters, digits, ".", "_" or "-"'),
  });
  if (!name) return undefined;
  const format = await vscode.window.showQuickPick(
    [
      { label: 'clam', description: 'a features folder with h5_files/ or pt_files/, and a CSV case_id, slide_id, label', format: 'clam' as const },
      { label: 'acmil', description: 'one h5 file with a group per slide', format: 'acmil' as const },
      { label: 'synthetic', description: 'the built-in generator (no data needed)', format: 'synthetic' as const },
    ],
    { title: 'New AEM experiment (2/4)', placeHolder: 'Feature layout' },
  );
  if (!format) return undefined;
  const answers: NewExperimentAnswers = { name, format: format.format, lambda: 0.1, output: readSettings().outputFolder, topK: readSettings().topK };
  if (format.format !== 'synthetic') {
    const features = await vscode.window.showOpenDialog({
      title: format.format === 'clam' ? 'Features folder (holding h5_files/ or pt_files/)' : 'The ACMIL h5 file',
      canSelectFolders: format.format === 'clam',
      canSelectFiles: format.format === 'acmil',
      defaultUri: folder,
      openLabel: 'Use as features',
    });
    if (!features?.[0]) return undefined;
    answers.features = features[0].fsPath;
    if (format.format === 'clam') {
      const csv = await vscode.window.showOpenDialog({ title: 'Labels CSV (case_id, slide_id, label)', canSelectFiles: true, filters: { CSV: ['csv'] }, defaultUri: features[0], openLabel: 'Use as labels' });
      if (!csv?.[0]) return undefined;
      answers.csv = csv[0].fsPath;
    }
  }
  const lambda = await vscode.window.showQuickPick(
    [
      { label: '0.1', description: 'AEM, the paper\'s usual strength' },
      { label: '0', description: 'plain ABMIL (no regulariser)' },
      { label: '0.05' },
      { label: '0.5' },
      { label: 'Other…' },
    ],
    { title: 'New AEM experiment (4/4)', placeHolder: 'AEM lambda (cosine-annealed over training)' },
  );
  if (!lambda) return undefined;
  let value = lambda.label;
  if (value === 'Other…') {
    const typed = await vscode.window.showInputBox({ prompt: 'lambda (>= 0)', validateInput: (v) => (Number.isFinite(Number(v)) && Number(v) >= 0 && v.trim() !== '' ? undefined : 'a number >= 0') });
    if (typed === undefined) return undefined;
    value = typed;
  }
  answers.lambda = Number(value);
  const file = path.join(folder.fsPath, `${name}.aem.json`);
  writeFileSync(file, newExperimentText(answers, folder.fsPath));
  await openFile(file);
  return file;
}

/** Writes the synthetic demo (ABMIL against AEM, 3 seeds) into the workspace and opens it. */
export async function openDemo(context: vscode.ExtensionContext): Promise<string | undefined> {
  const folder = await pickFolder();
  if (!folder) return undefined;
  const file = path.join(folder.fsPath, 'demo.aem.json');
  if (existsSync(file)) {
    await openFile(file);
    return file;
  }
  let text = readFileSync(path.join(context.extensionPath, 'media', 'demo.aem.json'), 'utf8');
  // The bundled copy points at the schema beside it and at the repository's run store.
  text = applyEdits(text, modify(text, ['$schema'], undefined, {}));
  text = applyEdits(text, modify(text, ['output'], readSettings().outputFolder, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
  writeFileSync(file, text);
  await openFile(file);
  return file;
}
