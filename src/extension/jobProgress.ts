// One progress notification per engine launch, with cancel (= stop, checkpoint first), and a plain
// report of how it ended.
import * as vscode from 'vscode';
import { ENGINE_EXIT, type EngineJob } from './core/runManager.js';
import { formatAuroc, formatDuration } from './core/runFormat.js';
import type { Services } from './services.js';

export function followJob(s: Services, job: EngineJob): void {
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AEM: ${job.label}`, cancellable: true }, (progress, token) => {
    token.onCancellationRequested(() => s.manager.stopJob(job.id));
    progress.report({ message: job.status === 'queued' ? 'queued' : 'starting' });
    // The notification ends when the engine says the experiment finished, not only when its process
    // has exited: a slow exit must not leave a finished job looking busy.
    let finished: () => void = () => undefined;
    const experimentFinished = new Promise<void>((resolve) => (finished = resolve));
    const off = s.manager.onEvent((e) => {
      if (e.type === 'job' && e.job === job && e.job.status === 'stopping') progress.report({ message: 'stopping: saving a checkpoint' });
      if (e.type === 'job' && e.job === job && e.job.status === 'running') progress.report({ message: 'preparing the data' });
      if (e.type !== 'engine' || e.job !== job) return;
      const ev = e.event;
      if (ev.type === 'progress') progress.report({ message: `${ev.runId}: epoch ${ev.epoch + 1}, step ${ev.iter}/${ev.iters} · ETA ${formatDuration(ev.etaSeconds)}` });
      else if (ev.type === 'epoch') progress.report({ message: `${ev.runId}: epoch ${ev.epoch + 1}/${ev.epochs} · val AUROC ${formatAuroc(ev.val.auroc)}` });
      else if (ev.type === 'log' && !ev.runId) progress.report({ message: ev.message });
      else if (ev.type === 'experiment-finished') finished();
    });
    return Promise.race([job.done, experimentFinished]).then(() => off());
  });
  void job.done.then((done) => reportOutcome(s, done));
}

async function reportOutcome(s: Services, job: EngineJob): Promise<void> {
  const showLog = 'Show Log';
  let pick: string | undefined;
  if (job.note && job.exitCode === null && job.signal === null) {
    s.log.info(`${job.label}: ${job.note}`);
    return;
  }
  if (job.exitCode === ENGINE_EXIT.done) {
    pick = await vscode.window.showInformationMessage(`AEM: ${job.label} finished (${job.runIds.length} run${job.runIds.length === 1 ? '' : 's'}).`, showLog);
  } else if (job.exitCode === ENGINE_EXIT.stopped) {
    pick = await vscode.window.showInformationMessage(`AEM: ${job.label} stopped; every run saved a checkpoint and can be resumed.`, showLog);
  } else if (job.exitCode === ENGINE_EXIT.invalid) {
    const reason = job.tail.filter((l) => !l.startsWith('info:')).slice(-4).join(' ');
    pick = await vscode.window.showErrorMessage(`AEM: ${job.label} was rejected by the engine: ${reason || 'invalid input'}`, showLog);
  } else {
    const how = job.note ?? (job.signal ? `was killed by ${job.signal}` : `failed (exit code ${job.exitCode})`);
    pick = await vscode.window.showErrorMessage(`AEM: ${job.label} ${how}. ${job.tail.slice(-1)[0] ?? ''}`, showLog);
  }
  if (pick === showLog) s.log.show(true);
}
