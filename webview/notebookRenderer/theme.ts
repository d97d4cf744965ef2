// Colours from the VS Code theme the output is shown in (--vscode-* variables), with fallbacks for a
// page that has none.
const SERIES_VARS: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-yellow', '#cca700'],
];

export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  series(i: number): string;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

export function readTheme(): Theme {
  const foreground = cssVar('--vscode-editor-foreground', cssVar('--vscode-foreground', '#cccccc'));
  const colours = SERIES_VARS.map(([name, fallback]) => cssVar(name, fallback));
  return {
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    grid: cssVar('--vscode-editorWidget-border', 'rgba(128, 128, 128, 0.35)'),
    series: (i) => colours[i % colours.length] as string,
  };
}

/** A colour with an alpha, for the ± std bands; works for #rgb, #rrggbb and rgb()/rgba() values. */
export function withAlpha(colour: string, alpha: number): string {
  const hex = colour.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = colour.match(/^rgba?\(([^,]+),([^,]+),([^,)]+)/);
  if (rgb) return `rgba(${rgb[1]?.trim()}, ${rgb[2]?.trim()}, ${rgb[3]?.trim()}, ${alpha})`;
  return colour;
}
