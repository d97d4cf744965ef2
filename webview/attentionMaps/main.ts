// Entry point of the Attention Maps webview bundle (media/dist/attentionMaps.js).
import '../shared/zodNoEval.js';
import { connectToHost } from './hostBridge.js';
import { AttentionMapsPanel } from './panel.js';

const root = document.getElementById('aem-attention-maps');
if (root) {
  const panel = new AttentionMapsPanel(root, connectToHost());
  // Read-only view of what is drawn, used by the UI tests and the benchmark.
  Object.defineProperty(window, 'aemAttentionMaps', {
    value: { describe: () => panel.describe(), pixelAt: (pane: number, i: number) => panel.pixelAt(pane, i), clientPointOf: (pane: number, i: number) => panel.clientPointOf(pane, i) },
  });
}
