// Entry point of the Live Charts webview bundle (media/dist/liveCharts.js).
import '../shared/zodNoEval.js';
import { frames } from './chartSetup.js';
import { connectToHost } from './hostBridge.js';
import { LiveChartsPanel } from './panel.js';

const root = document.getElementById('aem-live-charts');
if (root) {
  const panel = new LiveChartsPanel(root, connectToHost());
  // Read-only view of what is drawn, used by the UI tests and the benchmark.
  Object.defineProperty(window, 'aemLiveCharts', { value: { describe: () => panel.describe(), flush: () => frames.flush() } });
}
