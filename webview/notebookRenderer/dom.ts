// Small DOM helpers: elements are built with textContent only, never innerHTML, so nothing in a
// payload (a group label, a note) is ever parsed as markup.
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function header(root: HTMLElement, title: string, notes: readonly string[]): void {
  root.append(el('div', 'aem-title', title));
  for (const note of notes) root.append(el('div', 'aem-notes', note));
}
