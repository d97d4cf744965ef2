// "Copy as Markdown / CSV / LaTeX" buttons under the table.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { el } from './dom.js';

async function writeClipboard(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Some webviews refuse the async clipboard; a selected textarea and execCommand still work there.
    const area = el('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    if (!ok) throw new Error('the clipboard is not available');
  }
}

export function copyButtons(formats: { label: string; format: string; text: string }[]): HTMLElement {
  const bar = el('div', 'aem-copy');
  const status = el('span', 'aem-copy-status');
  status.setAttribute('role', 'status');
  for (const { label, format, text } of formats) {
    const button = document.createElement('vscode-button');
    button.setAttribute('secondary', '');
    button.dataset.format = format;
    button.textContent = label;
    button.addEventListener('click', () => {
      writeClipboard(text).then(
        () => (status.textContent = `Copied as ${format}`),
        (err: unknown) => (status.textContent = `Could not copy: ${err instanceof Error ? err.message : String(err)}`),
      );
    });
    bar.append(button);
  }
  bar.append(status);
  return bar;
}
