// The .aemnb file format: plain JSON that diffs well. Sources are arrays of lines, keys are written in
// sorted order with 2-space indentation and a trailing newline, and outputs are kept: JSON output items
// as their JSON value, text items as text (lines), anything else as base64.
import { z } from 'zod';

export interface NotebookOutputItem {
  mime: string;
  data: Uint8Array;
}

export interface NotebookOutput {
  items: NotebookOutputItem[];
}

export interface NotebookCell {
  kind: 'markdown' | 'code';
  language: string;
  source: string;
  outputs: NotebookOutput[];
}

export interface NotebookModel {
  cells: NotebookCell[];
}

export const AEMNB_FORMAT = 'aem-notebook';
export const AEMNB_VERSION = 1;

const StoredItemSchema = z
  .object({
    mime: z.string(),
    json: z.unknown().optional(),
    text: z.array(z.string()).optional(),
    base64: z.string().optional(),
  })
  .strict();
const StoredCellSchema = z
  .object({
    kind: z.enum(['markdown', 'code']),
    language: z.string(),
    source: z.array(z.string()),
    outputs: z.array(z.object({ items: z.array(StoredItemSchema) }).strict()).default([]),
  })
  .strict();
const StoredNotebookSchema = z
  .object({
    format: z.literal(AEMNB_FORMAT),
    version: z.literal(AEMNB_VERSION),
    cells: z.array(StoredCellSchema),
  })
  .strict();
type StoredItem = z.infer<typeof StoredItemSchema>;

function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json') || mime === 'application/vnd.code.notebook.error';
}

function isTextMime(mime: string): boolean {
  return mime.startsWith('text/') || mime === 'application/vnd.code.notebook.stdout' || mime === 'application/vnd.code.notebook.stderr';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function storeItem(item: NotebookOutputItem): StoredItem {
  try {
    if (isJsonMime(item.mime)) return { mime: item.mime, json: JSON.parse(utf8.decode(item.data)) };
    if (isTextMime(item.mime)) return { mime: item.mime, text: utf8.decode(item.data).split('\n') };
  } catch {
    // not valid JSON / UTF-8 after all: kept byte for byte below
  }
  return { mime: item.mime, base64: Buffer.from(item.data).toString('base64') };
}

function loadItem(item: StoredItem): NotebookOutputItem {
  if (item.json !== undefined) return { mime: item.mime, data: encoder.encode(JSON.stringify(item.json)) };
  if (item.text !== undefined) return { mime: item.mime, data: encoder.encode(item.text.join('\n')) };
  return { mime: item.mime, data: new Uint8Array(Buffer.from(item.base64 ?? '', 'base64')) };
}

/** JSON.stringify with the keys of every object sorted, so that saving twice gives the same bytes. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function serializeNotebook(model: NotebookModel): Uint8Array {
  const stored = {
    format: AEMNB_FORMAT,
    version: AEMNB_VERSION,
    cells: model.cells.map((c) => ({
      kind: c.kind,
      language: c.language,
      source: c.source.split('\n'),
      outputs: c.outputs.map((o) => ({ items: o.items.map(storeItem) })),
    })),
  };
  return encoder.encode(`${JSON.stringify(sortKeys(stored), null, 2)}\n`);
}

export class NotebookFormatError extends Error {
  override name = 'NotebookFormatError';
}

/** Bytes of an .aemnb file to the model; an empty file is an empty notebook. */
export function deserializeNotebook(bytes: Uint8Array): NotebookModel {
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '') return { cells: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`not an AEM notebook: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = StoredNotebookSchema.safeParse(raw);
  if (!parsed.success) {
    throw new NotebookFormatError(`not an AEM notebook: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  return {
    cells: parsed.data.cells.map((c) => ({
      kind: c.kind,
      language: c.language,
      source: c.source.join('\n'),
      outputs: c.outputs.map((o) => ({ items: o.items.map(loadItem) })),
    })),
  };
}
