// The live charts view's channel to the extension host (webview/shared/hostBridge.ts), bound to its protocol.
import { parseHostMessage, type HostMessage, type WebviewMessage } from '../../src/protocol/liveCharts.js';
import { connectToHost as connect, type HostBridge as Bridge } from '../shared/hostBridge.js';

export type HostBridge = Bridge<HostMessage, WebviewMessage>;

export function connectToHost(): HostBridge {
  return connect<HostMessage, WebviewMessage>('live charts', parseHostMessage);
}
