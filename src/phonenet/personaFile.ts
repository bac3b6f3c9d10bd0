/**
 * Reading persona files (YAML, or JSON by extension). Every problem is reported with the line and
 * column it is on: syntax errors from the parser, and schema problems by mapping zod's issue path
 * back onto the YAML document's nodes (JSON files are parsed a second time as YAML, which they are,
 * only to find those positions).
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { type Persona, personaFileSchema } from './personaSchema.js';

export interface PersonaFileIssue {
  /** 1-based; 0 when the file as a whole is at fault. */
  line: number;
  column: number;
  /** Where in the document, e.g. `personas[1].steps[2].reject`. */
  path: string;
  message: string;
}

export class PersonaFileError extends Error {
  override name = 'PersonaFileError';
  readonly file: string;
  readonly issues: readonly PersonaFileIssue[];

  constructor(file: string, issues: PersonaFileIssue[]) {
    const shown = issues.slice(0, 20).map((i) => {
      const where = i.line > 0 ? `${file}:${i.line}:${i.column}` : file;
      return `${where}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
    });
    if (issues.length > shown.length) shown.push(`... and ${issues.length - shown.length} more`);
    super(shown.join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

/** Keys whose values are text even when they look like numbers (`number: 13800000001`, `dtmf: 12`). */
const TEXTUAL_KEYS = new Set([
  'number',
  'dtmf',
  'digits',
  'say',
  'text',
  'announce',
  'barge-in',
  'prompt_contains',
]);

export function loadPersonaFile(path: string): Persona[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PersonaFileError(path, [
      { line: 0, column: 0, path: '', message: `cannot read: ${(err as Error).message}` },
    ]);
  }
  return parsePersonaText(text, path);
}

/** Parses persona file text; `file` names it in errors and picks JSON when it ends in `.json`. */
export function parsePersonaText(text: string, file: string): Persona[] {
  return parseYamlWithSchema(text, file, personaFileSchema).personas;
}

/**
 * Any YAML (or JSON) document that holds personas, checked with `schema` the way persona files
 * are: every problem reported with its line and column (a test suite's inline callees).
 */
export function parseYamlWithSchema<T>(text: string, file: string, schema: z.ZodType<T, unknown>): T {
  const lines = new LineCounter();
  if (file.toLowerCase().endsWith('.json')) checkJson(text, file, lines);
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PersonaFileError(
      file,
      doc.errors.map((e) => ({
        line: e.linePos?.[0].line ?? 0,
        column: e.linePos?.[0].col ?? 0,
        path: '',
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      })),
    );
  }
  keepNumbersAsText(doc);
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  throw new PersonaFileError(
    file,
    parsed.error.issues.map((issue) => locateIssue(issue, doc.contents, lines)),
  );
}

function checkJson(text: string, file: string, lines: LineCounter): void {
  try {
    JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    let line = 0;
    let column = 0;
    if (at) {
      // The counter is filled by a throwaway YAML parse (it only records line starts).
      parseDocument(text, { lineCounter: lines });
      const pos = lines.linePos(Number(at[1]));
      line = pos.line;
      column = pos.col;
    }
    throw new PersonaFileError(file, [
      {
        line,
        column,
        path: '',
        message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
      },
    ]);
  }
}

function keepNumbersAsText(doc: ReturnType<typeof parseDocument>): void {
  const asText = (node: unknown) => {
    if (isScalar(node) && typeof node.value === 'number' && typeof node.source === 'string')
      node.value = node.source;
  };
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !TEXTUAL_KEYS.has(String(pair.key.value))) return;
      asText(pair.value);
      if (isSeq(pair.value)) for (const item of pair.value.items) asText(item);
    },
  });
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** The node a zod path points at, or the deepest one that exists (a missing key: its map). */
function locate(root: unknown, path: readonly PropertyKey[]): Node | undefined {
  let node = root as Node | undefined;
  let best = node;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      // A key's own position reads better than a block value starting on the next line.
      best = (pair.key as Node | null) ?? best;
      node = (pair.value as Node | null) ?? undefined;
      if (node && isScalar(node)) best = node;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      node = item;
      best = item;
    } else break;
  }
  return best;
}

function locateIssue(issue: z.core.$ZodIssue, root: unknown, lines: LineCounter): PersonaFileIssue {
  let path = issue.path;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0]!];
    message = `unknown key "${issue.keys.join('", "')}"`;
  }
  const node = locate(root, path);
  const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
  return { line: pos?.line ?? 0, column: pos?.col ?? 0, path: pathText(path), message };
}
