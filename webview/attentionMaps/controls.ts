// Small helpers around the @vscode-elements controls the map view's toolbar uses.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

export function select(className: string, title: string, onChange: (value: string) => void): VscodeSingleSelect {
  const s = document.createElement('vscode-single-select') as VscodeSingleSelect;
  s.className = className;
  s.title = title;
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

/** Replaces a select's options (value, label) and selects `value` (or the first option). */
export function setOptions(s: VscodeSingleSelect, options: [string, string][], value: string): void {
  const key = JSON.stringify(options);
  if (s.dataset.options !== key) {
    s.dataset.options = key;
    s.replaceChildren(
      ...options.map(([v, label]) => {
        const o = document.createElement('vscode-option');
        o.value = v;
        o.textContent = label;
        return o;
      }),
    );
  }
  const chosen = options.some(([v]) => v === value) ? value : (options[0]?.[0] ?? '');
  if (s.value !== chosen) s.value = chosen;
}

export function textfield(className: string, placeholder: string, onInput: (value: string) => void): VscodeTextfield {
  const t = document.createElement('vscode-textfield') as VscodeTextfield;
  t.className = className;
  t.placeholder = placeholder;
  t.addEventListener('input', () => onInput(t.value));
  return t;
}

export function button(className: string, label: string, title: string, onClick: () => void): HTMLElement {
  const b = element('vscode-button', { className, title }, label);
  b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

/** A file name the host accepts: letters, digits and . _ - = only. */
export function safeFileName(stem: string, extension: 'png' | 'csv'): string {
  const clean = stem.replace(/[^\w.\-=]+/g, '_').replace(/^[._]+/, '').slice(0, 100) || 'attention-map';
  return `${clean}.${extension}`;
}
