// The Live Charts webview's page: a strict CSP (scripts only by nonce, styles and images only from the
// webview's own resource origin) loading the bundle from media/dist. The test page uses it unchanged.

export interface LiveChartsPage {
  /** webview.cspSource */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function liveChartsCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** A webview page under that CSP: its stylesheet, one root element, and its bundle loaded by nonce. */
export function webviewPageHtml(p: LiveChartsPage, title: string, root: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${liveChartsCsp(p.cspSource, p.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${p.styleUri}">
<title>${title}</title>
</head>
<body>
${root}
<script nonce="${p.nonce}" src="${p.scriptUri}"></script>
</body>
</html>
`;
}

export function liveChartsHtml(p: LiveChartsPage): string {
  return webviewPageHtml(p, 'Live Charts', '<div id="aem-live-charts" data-aem-epochs="0"></div>');
}
