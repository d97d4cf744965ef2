// The renderer's styles, adopted as a constructed style sheet (allowed under a strict CSP, unlike an
// inline <style> element).
const CSS = `
.aem-output { font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); color: var(--vscode-editor-foreground, var(--vscode-foreground, inherit)); }
.aem-output .aem-title { font-weight: 600; margin: 4px 0 6px; }
.aem-output .aem-caption, .aem-output .aem-notes { color: var(--vscode-descriptionForeground, inherit); margin: 4px 0; }
.aem-output .aem-notes { font-style: italic; }
.aem-output .aem-chart { position: relative; height: 260px; max-width: 900px; }
.aem-output table { border-collapse: collapse; margin: 4px 0 8px; }
.aem-output th, .aem-output td { padding: 4px 10px; border-bottom: 1px solid var(--vscode-editorWidget-border, rgba(128, 128, 128, 0.35)); text-align: right; white-space: nowrap; vertical-align: top; }
.aem-output th:first-child, .aem-output td:first-child { text-align: left; }
.aem-output th { font-weight: 600; }
.aem-output td .aem-p { display: block; font-size: 0.85em; color: var(--vscode-descriptionForeground, inherit); }
.aem-output td.aem-best .aem-value { font-weight: 700; }
.aem-output .aem-baseline { color: var(--vscode-descriptionForeground, inherit); font-size: 0.9em; }
.aem-output .aem-confusion { display: flex; flex-wrap: wrap; gap: 16px; }
.aem-output .aem-confusion caption { text-align: left; font-weight: 600; padding-bottom: 2px; }
.aem-output .aem-confusion td { text-align: center; min-width: 3em; font-variant-numeric: tabular-nums; }
.aem-output .aem-confusion td.aem-diag { font-weight: 700; }
.aem-output td.aem-better { color: var(--vscode-charts-green, #388a34); }
.aem-output td.aem-worse { color: var(--vscode-charts-red, #e51400); }
.aem-output .aem-copy { display: flex; gap: 6px; align-items: center; margin: 6px 0; }
.aem-output .aem-maps { display: flex; gap: 6px; align-items: center; margin: 6px 0; }
.aem-output .aem-copy-status { color: var(--vscode-descriptionForeground, inherit); }
`;

let adopted = false;

export function adoptStyles(): void {
  if (adopted) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  adopted = true;
}
