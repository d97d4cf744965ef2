// Chart colours from the VS Code theme's CSS variables, read again whenever the body's theme class
// (vscode-light / vscode-dark / vscode-high-contrast) changes.

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** One colour per run slot. */
  palette: string[];
  highContrast: boolean;
}

const PALETTE_VARIABLES: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-yellow', '#cca700'],
];

function cssVariable(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const foreground = cssVariable(style, '--vscode-foreground', '#cccccc');
  return {
    foreground,
    muted: cssVariable(style, '--vscode-descriptionForeground', foreground),
    grid: highContrast ? withAlpha(cssVariable(style, '--vscode-contrastBorder', foreground), 0.35) : cssVariable(style, '--vscode-panel-border', 'rgba(128,128,128,0.35)'),
    background: cssVariable(style, '--vscode-sideBar-background', cssVariable(style, '--vscode-editor-background', '#1e1e1e')),
    fontFamily: cssVariable(style, '--vscode-font-family', 'sans-serif'),
    fontSize: Number.parseFloat(cssVariable(style, '--vscode-font-size', '12')) || 12,
    palette: PALETTE_VARIABLES.map(([name, fallback]) => cssVariable(style, name, fallback)),
    highContrast,
  };
}

export function onThemeChange(handler: () => void): void {
  new MutationObserver(handler).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
}

/** A colour with an opacity (for fading curves), for hex and rgb()/rgba() theme colours. */
export function withAlpha(colour: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(colour)?.[1];
  if (hex) {
    const full = hex.length <= 4 ? [...hex].map((c) => c + c).join('') : hex;
    const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(colour);
  if (rgb) return `rgba(${rgb[1]},${rgb[2]},${rgb[3]}, ${alpha})`;
  return colour;
}
