// The Attention Maps webview's page: the live charts' strict CSP (scripts only by nonce, styles and
// images only from the webview's resource origin), loading its bundle from media/dist.
import { webviewPageHtml, type LiveChartsPage } from '../liveCharts/html.js';

/** The same page inputs as the live charts: the webview's csp source, the bundle and stylesheet URIs, the nonce. */
export type AttentionMapsPage = LiveChartsPage;

export function attentionMapsHtml(p: AttentionMapsPage): string {
  return webviewPageHtml(p, 'Attention Maps', '<div id="aem-attention-maps" data-aem-drawn="0"></div>');
}
