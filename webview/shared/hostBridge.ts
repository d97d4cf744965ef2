// A webview's side of its message channel: typed posts to the extension host, every arrival validated
// (an invalid one is dropped with a warning), and the webview state API (kept while the view is hidden
// and across reloads, without retainContextWhenHidden). Each view binds it to its own protocol.
import type { Parsed } from '../../src/protocol/parsed.js';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostBridge<FromHost, ToHost> {
  post(message: ToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
  onMessage(handler: (message: FromHost) => void): void;
}

export function connectToHost<FromHost, ToHost>(view: string, parse: (raw: unknown) => Parsed<FromHost>): HostBridge<FromHost, ToHost> {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
    onMessage: (handler) => {
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        const parsed = parse(event.data);
        if (parsed.ok) handler(parsed.value);
        else console.warn(`${view}: ignored an invalid message from the host: ${parsed.error}`);
      });
    },
  };
}
