// The webview's side of the message channel: posts typed messages to the extension host, validates
// what arrives, and keeps the panel's state with the webview state API (kept while the view is hidden
// and across reloads, without retainContextWhenHidden).
import { parseHostMessage, type HostMessage, type WebviewMessage } from '../../src/protocol/liveCharts.js';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostBridge {
  post(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
  onMessage(handler: (message: HostMessage) => void): void;
}

export function connectToHost(): HostBridge {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
    onMessage: (handler) => {
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        const parsed = parseHostMessage(event.data);
        if (parsed.ok) handler(parsed.value);
        else console.warn(`live charts: ignored an invalid message from the host: ${parsed.error}`);
      });
    },
  };
}
