// The map view's side of the message channel: typed posts to the host, validated arrivals, and the
// webview state API (kept while the panel is hidden and across a reload).
import { parseHostMessage, type HostMessage, type WebviewMessage } from '../../src/protocol/attentionMaps.js';

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
        else console.warn(`attention maps: ignored an invalid message from the host: ${parsed.error}`);
      });
    },
  };
}
