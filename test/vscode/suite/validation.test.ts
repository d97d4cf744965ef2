// The parse-time checks in the Problems panel: bad sweep values, an unknown sweep key, split fractions
// over 1 and a duplicate key, each at its own place in a file saved with a byte order mark, and Run
// Experiment starts no engine for it.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, until, workspaceDir } from './support.js';

describe('experiment validation in the editor', () => {
  it('marks each sweep value, the split fractions and a duplicate key where they are, in a file with a BOM, and never starts it', async () => {
    const a = await api();
    const text = [
      '{',
      '  "name": "sweepy",',
      '  "data": { "format": "synthetic", "split": { "kind": "random", "val": 0.6, "test": 0.6 } },',
      '  "sweep": { "aem.lambda": [0.1, -0.5], "train.epochs": [1, 2.5], "aem.lamda": [1] },',
      '  "seeds": [0],',
      '  "seeds": [1]',
      '}',
      '',
    ].join('\n');
    const file = path.join(workspaceDir(), 'sweepy.aem.json');
    writeFileSync(file, `\ufeff${text}`);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.getText(), text, 'VS Code shows the file without its byte order mark');
    const diagnostics = await until('diagnostics from aem', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'aem');
      return d.length >= 5 ? d : undefined;
    });
    const at = (needle: string, from = 0) => doc.positionAt(text.indexOf(needle, from));
    const find = (pathPrefix: string) => diagnostics.find((d) => d.message.startsWith(pathPrefix));
    assert.deepEqual(find('sweep["aem.lambda"][1]:')?.range.start, at('-0.5'));
    assert.deepEqual(find('sweep["train.epochs"][1]:')?.range.start, at('2.5'));
    assert.deepEqual(find('sweep["aem.lamda"]:')?.range.start, at('"aem.lamda"'));
    assert.deepEqual(find('data.split.test:')?.range.start, at('"test"'));
    assert.deepEqual(find('seeds:')?.range.start, at('"seeds"', text.indexOf('"seeds"') + 1));
    assert.match(find('seeds:')?.message ?? '', /duplicate key "seeds"/);
    assert.equal(diagnostics.length, 5, diagnostics.map((d) => d.message).join('\n'));

    const before = a.manager.allJobs.length;
    const id = await vscode.commands.executeCommand<number | undefined>('aemStudio.runExperiment', doc.uri);
    assert.equal(id, undefined);
    assert.equal(a.manager.allJobs.length, before, 'an engine was started for an invalid file');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
