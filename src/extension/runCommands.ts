// Run Experiment, Run One Seed, Stop Run, Resume Run, Reveal Run Folder, Delete Run, Compare Seeds.
import { rmSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { ConfigError } from '../config/load.js';
import { readExperimentInfo } from './core/experimentIndex.js';
import { acquireRunLock, RunLockedError } from '../trainer/runLock.js';
import { RESUMABLE_STATES } from './core/runScan.js';
import { runTitle, STATE_WORDS } from './core/runFormat.js';
import { problemsOf } from './diagnostics.js';
import { followJob } from './jobProgress.js';
import { openComparisonNotebook } from './notebook/compareSeedsNotebook.js';
import type { AemNode, ExperimentNode, RunNode } from './runsTree.js';
import type { Services } from './services.js';
import { readSettings } from './settings.js';
import { requireTrust } from './trust.js';

type Target = vscode.Uri | AemNode | undefined;

function isNode(t: unknown): t is AemNode {
  return typeof t === 'object' && t !== null && 'kind' in t && ((t as AemNode).kind === 'experiment' || (t as AemNode).kind === 'run');
}

export async function pickExperimentFile(s: Services, target: Target): Promise<string | undefined> {
  if (target instanceof vscode.Uri) return target.fsPath;
  if (isNode(target)) return target.kind === 'experiment' ? target.file : target.parent.file;
  const active = vscode.window.activeTextEditor?.document;
  if (active && active.uri.scheme === 'file' && active.uri.fsPath.endsWith('.aem.json')) return active.uri.fsPath;
  const files = await s.tree.experimentFiles();
  if (files.length === 0) {
    void vscode.window.showInformationMessage('AEM: no *.aem.json experiment in this workspace. Create one with "AEM: New Experiment" or "AEM: Open Demo Experiment".');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    files.map((f) => ({ label: path.basename(f), description: vscode.workspace.asRelativePath(path.dirname(f)), file: f })),
    { placeHolder: 'Experiment to run' },
  );
  return pick?.file;
}

async function showProblems(s: Services, file: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(file);
  const problems = problemsOf(doc);
  s.diagnostics.set(doc.uri, problems);
  await vscode.window.showTextDocument(doc);
  void vscode.window.showErrorMessage(`AEM: ${path.basename(file)} has ${problems.length} problem${problems.length === 1 ? '' : 's'} (see the Problems panel); nothing was started.`);
}

export async function runExperiment(s: Services, target: Target, seeds?: number[]): Promise<number | undefined> {
  if (!(await requireTrust('Starting training'))) return undefined;
  const file = await pickExperimentFile(s, target);
  if (!file) return undefined;
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (open?.isDirty) await open.save();
  const info = readExperimentInfo(file);
  if (!info.experiment) {
    await showProblems(s, file);
    return undefined;
  }
  const settings = readSettings();
  const backend = info.experiment.compute.backend === 'auto' && settings.defaultBackend !== 'auto' ? settings.defaultBackend : undefined;
  try {
    const job = s.manager.enqueue({ kind: 'experiment', file, ...(seeds ? { seeds } : {}), ...(backend ? { backend } : {}) });
    s.log.info(`${job.label}: ${job.status === 'queued' ? 'queued' : 'started'}${backend ? ` on the ${backend} backend (aemStudio.defaultBackend)` : ''}`);
    followJob(s, job);
    s.tree.refreshSoon();
    return job.id;
  } catch (err) {
    if (err instanceof ConfigError) await showProblems(s, file);
    else void vscode.window.showErrorMessage(`AEM: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

export async function runOneSeed(s: Services, target: Target): Promise<number | undefined> {
  const file = await pickExperimentFile(s, target);
  if (!file) return undefined;
  const seeds = readExperimentInfo(file).experiment?.seeds ?? [0];
  const other = 'Another seed…';
  const pick = await vscode.window.showQuickPick([...seeds.map((seed) => `seed ${seed}`), other], { placeHolder: 'Seed to run' });
  if (!pick) return undefined;
  let seed = Number(pick.replace('seed ', ''));
  if (pick === other) {
    const text = await vscode.window.showInputBox({ prompt: 'Seed (a non-negative integer)', validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'a non-negative integer') });
    if (text === undefined) return undefined;
    seed = Number(text.trim());
  }
  return runExperiment(s, vscode.Uri.file(file), [seed]);
}

async function allRuns(s: Services): Promise<RunNode[]> {
  const out: RunNode[] = [];
  for (const experiment of await s.tree.experiments()) out.push(...s.tree.runsOf(experiment));
  return out;
}

export async function stopRun(s: Services, target: Target): Promise<void> {
  if (isNode(target) && target.kind === 'run') {
    if (!s.manager.stopRun(target.record.dir)) void vscode.window.showInformationMessage(`AEM: ${target.record.runId} is not running.`);
    s.tree.refreshSoon();
    return;
  }
  if (isNode(target) && target.kind === 'experiment') {
    let stopped = 0;
    for (const job of s.manager.activeJobs) {
      if (job.request.kind === 'experiment' && target.file && path.resolve(job.request.file) === path.resolve(target.file)) {
        s.manager.stopJob(job.id);
        stopped++;
      }
    }
    for (const run of s.tree.runsOf(target)) if (run.record.state === 'running' && !s.manager.ownsRunDir(run.record.dir) && s.manager.stopRun(run.record.dir)) stopped++;
    if (stopped === 0) void vscode.window.showInformationMessage(`AEM: nothing of ${target.name} is running.`);
    s.tree.refreshSoon();
    return;
  }
  const running = (await allRuns(s)).filter((r) => r.record.state === 'running');
  const queued = s.manager.activeJobs.filter((j) => j.status === 'queued' || j.runIds.length === 0);
  const items = [
    ...running.map((r) => ({ label: `${r.parent.name}: ${runTitle(r.record)}`, description: r.record.runId, run: r.record.dir, job: undefined as number | undefined })),
    ...queued.map((j) => ({ label: j.label, description: j.status === 'queued' ? 'queued' : 'preparing', run: undefined as string | undefined, job: j.id })),
  ];
  if (items.length === 0) {
    void vscode.window.showInformationMessage('AEM: no run is running.');
    return;
  }
  const pick = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { placeHolder: 'Run to stop (it saves a checkpoint first)' });
  if (pick?.run) s.manager.stopRun(pick.run);
  else if (pick?.job !== undefined) s.manager.stopJob(pick.job);
  s.tree.refreshSoon();
}

export async function resumeRun(s: Services, target: Target): Promise<number | undefined> {
  if (!(await requireTrust('Resuming training'))) return undefined;
  let runDir: string | undefined;
  if (isNode(target) && target.kind === 'run') runDir = target.record.dir;
  else {
    const candidates = (await allRuns(s)).filter((r) => RESUMABLE_STATES.includes(r.record.state) && (!isNode(target) || target.kind !== 'experiment' || r.parent.key === target.key));
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('AEM: no interrupted, stopped or failed run to resume.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      candidates.map((r) => ({ label: `${r.parent.name}: ${runTitle(r.record)}`, description: `${STATE_WORDS[r.record.state]} · ${r.record.epochsDone}/${r.record.epochs} epochs`, dir: r.record.dir })),
      { placeHolder: 'Run to resume' },
    );
    runDir = pick?.dir;
  }
  if (!runDir) return undefined;
  try {
    const job = s.manager.enqueue({ kind: 'resume', runDir });
    s.log.info(`${job.label}: ${job.status}`);
    followJob(s, job);
    s.tree.refreshSoon();
    return job.id;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof RunLockedError) void vscode.window.showWarningMessage(`AEM: ${message}. It was not started a second time.`);
    else void vscode.window.showErrorMessage(`AEM: ${message}`);
    return undefined;
  }
}

export async function revealRun(target: Target): Promise<void> {
  if (!isNode(target) || target.kind !== 'run') return;
  const uri = vscode.Uri.file(target.record.dir);
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

export async function deleteRun(s: Services, target: Target): Promise<boolean> {
  if (!isNode(target) || target.kind !== 'run') return false;
  const { record } = target;
  if (record.state === 'running') {
    void vscode.window.showWarningMessage(`AEM: ${record.runId} is running; stop it before deleting it.`);
    return false;
  }
  const answer = await vscode.window.showWarningMessage(
    `Delete the run ${record.runId}?`,
    { modal: true, detail: `Its folder ${record.dir} with its metrics, checkpoints, predictions and attention is removed for good.` },
    'Delete',
  );
  if (answer !== 'Delete') return false;
  try {
    // Holding its lock keeps another window from resuming it while it is being removed.
    acquireRunLock(record.dir, `delete-${process.pid}`);
    rmSync(record.dir, { recursive: true, force: true });
    s.log.info(`deleted ${record.dir}`);
  } catch (err) {
    void vscode.window.showErrorMessage(`AEM: could not delete ${record.runId}: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  } finally {
    s.tree.refresh();
  }
  return true;
}

/**
 * Opens (the first time: writes) the experiment's seed-comparison notebook and runs all its cells.
 * Asks which experiment only when there are several with a run store.
 */
export async function compareSeeds(s: Services, target: Target): Promise<vscode.NotebookDocument | undefined> {
  let experiment: ExperimentNode | undefined = isNode(target) ? (target.kind === 'experiment' ? target : target.parent) : undefined;
  if (!experiment) {
    const experiments = (await s.tree.experiments()).filter((e) => e.outputRoot);
    const file = target instanceof vscode.Uri ? target.fsPath : undefined;
    experiment = file ? experiments.find((e) => e.file === file) : experiments.length === 1 ? experiments[0] : undefined;
    if (!experiment && experiments.length === 0) {
      void vscode.window.showInformationMessage('AEM: no experiment with a run store in this workspace yet.');
      return undefined;
    }
    if (!experiment) {
      const pick = await vscode.window.showQuickPick(
        experiments.map((e) => ({ label: e.name, description: e.file ? vscode.workspace.asRelativePath(e.file) : '', node: e })),
        { placeHolder: 'Experiment to compare across seeds' },
      );
      experiment = pick?.node;
    }
  }
  if (!experiment) return undefined;
  return openComparisonNotebook(s.context, s.tree, experiment);
}
