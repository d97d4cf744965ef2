// The extension side of every AEM webview: the page loaded under its strict CSP (only the extension's
// media folder as a resource root, a fresh nonce for the bundle), and messages from the page validated
// before they are handled, an invalid one counted and logged, a failing handler reported to the page.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LiveChartsPage } from '../liveCharts/html.js';
import type { Parsed } from '../protocol/parsed.js';

/** Sets the webview's options and its page: media/dist/<bundle>.js and media/<bundle>.css. */
export function loadWebviewPage(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: string, html: (page: LiveChartsPage) => string): void {
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  webview.options = { enableScripts: true, localResourceRoots: [media] };
  webview.html = html({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', `${bundle}.js`)).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, `${bundle}.css`)).toString(),
    nonce: randomBytes(18).toString('base64'),
  });
}

export interface MessageReceiver<M> {
  /** The view's name in the log ("live charts"). */
  view: string;
  parse: (raw: unknown) => Parsed<M>;
  log: vscode.LogOutputChannel;
  handle: (message: M) => Promise<void>;
  rejected: () => void;
  /** Shows an error to the user in the page. */
  notifyError: (text: string) => void;
}

export async function receiveValidated<M>(raw: unknown, r: MessageReceiver<M>): Promise<void> {
  const parsed = r.parse(raw);
  if (!parsed.ok) {
    r.rejected();
    r.log.warn(`${r.view}: ignored an invalid message from the webview (${parsed.error})`);
    return;
  }
  try {
    await r.handle(parsed.value);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    r.log.error(`${r.view}: ${text}`);
    r.notifyError(text);
  }
}
