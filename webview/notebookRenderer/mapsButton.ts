// "Attention maps…" under an output: asks the extension to open the attention maps of the output's runs
// (it opens one or two at once and offers a pick for more). Shown only where the renderer can post
// messages to the extension (VS Code gives renderers with requiresMessaging that channel).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { RendererMessage } from '../../src/protocol/notebook.js';
import { el } from './dom.js';

export function mapsButton(runNames: readonly string[], post: (message: RendererMessage) => void): HTMLElement {
  const bar = el('div', 'aem-maps');
  const button = document.createElement('vscode-button');
  button.setAttribute('secondary', '');
  button.dataset.action = 'attention-maps';
  button.textContent = 'Attention maps…';
  button.title = runNames.length <= 2 ? `Open the attention maps of ${runNames.join(' and ')}` : `Open the attention maps of one or two of these ${runNames.length} runs`;
  const status = el('span', 'aem-copy-status');
  status.setAttribute('role', 'status');
  button.addEventListener('click', () => {
    post({ type: 'openAttentionMaps', runNames: [...runNames] });
    status.textContent = runNames.length <= 2 ? 'Opening the attention maps…' : 'Pick the runs in the list at the top of the window';
  });
  bar.append(button, status);
  return bar;
}
