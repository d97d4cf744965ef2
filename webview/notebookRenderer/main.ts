// The notebook renderer for AEM comparison outputs (mime application/vnd.aem-studio.comparison+json):
// validates each payload, then draws a table or a chart into the output element, with an "Attention
// maps…" button that asks the extension to open the maps of the output's runs.
import '../shared/zodNoEval.js';
import type { Chart } from 'chart.js';
import type { ActivationFunction } from 'vscode-notebook-renderer';
import { ComparisonOutputSchema, type ComparisonOutput } from '../../src/protocol/notebook.js';
import { renderCurves, renderScatter, renderSensitivity, renderTopk } from './charts.js';
import { el } from './dom.js';
import { mapsButton } from './mapsButton.js';
import { renderConfusion, renderRoc } from './predictionCharts.js';
import { adoptStyles } from './styles.js';
import { renderPaired } from './paired.js';
import { renderTable } from './table.js';

const charts = new Map<string, Chart[]>();

function dispose(id: string): void {
  for (const chart of charts.get(id) ?? []) chart.destroy();
  charts.delete(id);
}

function draw(output: ComparisonOutput, root: HTMLElement): Chart[] {
  switch (output.kind) {
    case 'table':
      renderTable(output, root);
      return [];
    case 'curves':
      return renderCurves(output, root);
    case 'scatter':
      return renderScatter(output, root);
    case 'topk':
      return renderTopk(output, root);
    case 'sensitivity':
      return renderSensitivity(output, root);
    case 'roc':
      return renderRoc(output, root);
    case 'confusion':
      return renderConfusion(output, root);
    case 'paired':
      return renderPaired(output, root);
  }
}

export const activate: ActivationFunction = (context) => ({
  renderOutputItem(item, element) {
    dispose(item.id);
    adoptStyles();
    const root = el('div', 'aem-output');
    element.replaceChildren(root);
    let raw: unknown;
    try {
      raw = item.json();
    } catch {
      raw = undefined;
    }
    const parsed = ComparisonOutputSchema.safeParse(raw);
    if (!parsed.success) {
      root.dataset.kind = 'invalid';
      root.append(el('div', 'aem-notes', `AEM: this output is not a comparison this renderer understands (${parsed.error.issues[0]?.message ?? 'invalid'}). Run the cell again.`));
      return;
    }
    root.dataset.kind = parsed.data.kind;
    charts.set(item.id, draw(parsed.data, root));
    const post = context.postMessage;
    const runNames = parsed.data.runNames ?? [];
    if (post && runNames.length > 0) root.append(mapsButton(runNames, (message) => post(message)));
  },
  disposeOutputItem(id) {
    if (id === undefined) for (const key of [...charts.keys()]) dispose(key);
    else dispose(id);
  },
});
