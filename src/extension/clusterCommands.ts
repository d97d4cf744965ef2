// Run Experiment on Cluster, Stop on Cluster, Resume on Cluster, Show SLURM Output: the engine's
// cluster commands (src/trainer/cluster/) behind the command palette and the runs tree.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { readRunConfig } from '../trainer/runStore.js';
import { runClusterCli, type EngineCommand } from './core/clusterCli.js';
import type { AemNode } from './runsTree.js';
import { pickExperimentFile } from './runCommands.js';
import type { Services } from './services.js';
import { requireTrust } from './trust.js';

type Target = vscode.Uri | AemNode | undefined;

function runDirOf(target: Target): string | undefined {
  return typeof target === 'object' && target !== null && 'kind' in target && target.kind === 'run' ? target.record.dir : undefined;
}

function report(s: Services, what: string, answer: Awaited<ReturnType<typeof runClusterCli>>): boolean {
  for (const m of answer.messages) s.log.info(`[cluster] ${m}`);
  if (!answer.ok) {
    s.log.error(`[cluster] ${what}: ${answer.error ?? 'failed'}`);
    void vscode.window.showErrorMessage(`AEM: ${what}: ${answer.error ?? 'failed'}`);
    return false;
  }
  return true;
}

export async function runOnCluster(s: Services, engine: EngineCommand, target: Target): Promise<string | undefined> {
  if (!(await requireTrust('Submitting to a cluster'))) return undefined;
  const file = await pickExperimentFile(s, target);
  if (!file) return undefined;
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (open?.isDirty) await open.save();
  const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AEM: submitting ${path.basename(file)} to SLURM` }, () => runClusterCli({ ...engine, cwd: path.dirname(file) }, ['submit', file]));
  if (!report(s, `could not submit ${path.basename(file)}`, answer)) return undefined;
  const sub = answer.submitted;
  if (sub?.jobId) {
    s.log.info(`[cluster] job array ${sub.jobId}: ${sub.runDirs.length} runs; script ${sub.script}`);
    void vscode.window.showInformationMessage(`AEM: submitted job array ${sub.jobId} (${sub.runDirs.length} runs).`);
  }
  s.tree.refresh(true);
  return sub?.jobId ?? undefined;
}

export async function stopOnCluster(s: Services, engine: EngineCommand, target: Target): Promise<boolean> {
  const dir = runDirOf(target);
  const file = dir ? undefined : await pickExperimentFile(s, target);
  const what = dir ?? file;
  if (!what) return false;
  const answer = await runClusterCli(engine, ['cancel', what]);
  const ok = report(s, 'could not stop on the cluster', answer);
  s.tree.refreshSoon();
  return ok;
}

export async function resumeOnCluster(s: Services, engine: EngineCommand, target: Target): Promise<string | undefined> {
  if (!(await requireTrust('Submitting to a cluster'))) return undefined;
  const dir = runDirOf(target);
  if (!dir) {
    void vscode.window.showInformationMessage('AEM: choose a run in the AEM Runs view to resume it on the cluster.');
    return undefined;
  }
  const answer = await runClusterCli(engine, ['resubmit', dir]);
  if (!report(s, `could not resubmit ${path.basename(dir)}`, answer)) return undefined;
  s.tree.refreshSoon();
  return answer.submitted?.jobId ?? undefined;
}

export async function showSlurmOutput(s: Services, target: Target): Promise<void> {
  const dir = runDirOf(target);
  if (!dir) return;
  const output = readRunConfig(dir).cluster?.output;
  if (!output) {
    void vscode.window.showInformationMessage(`AEM: ${path.basename(dir)} was not submitted to a cluster.`);
    return;
  }
  if (!existsSync(output)) {
    void vscode.window.showInformationMessage(`AEM: no SLURM output yet (${output}): the task has not started.`);
    return;
  }
  s.log.info(`[cluster] ${output}`);
  await vscode.window.showTextDocument(vscode.Uri.file(output), { preview: true });
}
