// The Attention Maps webview's page: the live charts' strict CSP (scripts only by nonce, styles and
// images only from the webview's resource origin), loading its bundle from media/dist.
import { liveChartsCsp } from '../liveCharts/html.js';

export interface AttentionMapsPage {
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function attentionMapsHtml(p: AttentionMapsPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${liveChartsCsp(p.cspSource, p.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${p.styleUri}">
<title>Attention Maps</title>
</head>
<body>
<div id="aem-attention-maps" data-aem-drawn="0"></div>
<script nonce="${p.nonce}" src="${p.scriptUri}"></script>
</body>
</html>
`;
}
