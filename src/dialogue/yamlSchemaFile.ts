/**
 * Reading a YAML (or JSON) document checked by a zod schema, every problem reported with the line
 * and column it is on: syntax errors from the parser, schema problems by mapping zod's issue path
 * back onto the document's nodes (JSON is parsed a second time as YAML, which it is, only to find
 * those positions). Dialog scripts, persona files (src/phonenet/personaFile.ts) and bot test
 * suites are all read through it.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { z } from 'zod';

export interface YamlFileIssue {
  /** 1-based; 0 when the file as a whole is at fault. */
  line: number;
  column: number;
  /** Where in the document, e.g. `nodes.greet.listen.intents[1].next`. */
  path: string;
  message: string;
}

export class YamlFileError extends Error {
  override name = 'YamlFileError';
  readonly file: string;
  readonly issues: readonly YamlFileIssue[];

  constructor(file: string, issues: YamlFileIssue[]) {
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

export interface YamlSchemaOptions {
  /**
   * Keys whose number values stay numbers; every other number is read as the text it was written
   * as (`transfer: 057188880000` keeps its leading zero, `dtmf: 1` is the key "1").
   */
  numericKeys?: ReadonlySet<string>;
  /**
   * The other way round (persona files): only the numbers of these keys are read as text
   * (`number: 13800000001`), every other number stays a number. Wins over `numericKeys`.
   */
  textKeys?: ReadonlySet<string>;
  /** Checks beyond the schema, run on a document that passed it; each problem at its path. */
  check?: (value: never) => { path: PropertyKey[]; message: string }[];
}

/** Parses `text` (`file` names it in errors and picks JSON when it ends in `.json`) with `schema`. */
export function parseYamlWithSchema<T>(
  text: string,
  file: string,
  schema: z.ZodType<T, unknown>,
  options: YamlSchemaOptions = {},
): T {
  const lines = new LineCounter();
  if (file.toLowerCase().endsWith('.json')) checkJson(text, file, lines);
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new YamlFileError(
      file,
      doc.errors.map((e) => ({
        line: e.linePos?.[0].line ?? 0,
        column: e.linePos?.[0].col ?? 0,
        path: '',
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      })),
    );
  }
  numbersAsText(doc, options);
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success)
    throw new YamlFileError(
      file,
      parsed.error.issues.map((issue) => locateIssue(issue, doc.contents, lines)),
    );
  const more = (options.check as ((value: T) => { path: PropertyKey[]; message: string }[]) | undefined)?.(
    parsed.data,
  );
  if (more && more.length > 0)
    throw new YamlFileError(
      file,
      more.map((m) => {
        const node = locate(doc.contents, m.path);
        const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
        return { line: pos?.line ?? 0, column: pos?.col ?? 0, path: pathText(m.path), message: m.message };
      }),
    );
  return parsed.data;
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
    throw new YamlFileError(file, [
      {
        line,
        column,
        path: '',
        message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
      },
    ]);
  }
}

function numbersAsText(doc: ReturnType<typeof parseDocument>, options: YamlSchemaOptions): void {
  const asText = (node: unknown) => {
    if (isScalar(node) && typeof node.value === 'number' && typeof node.source === 'string')
      node.value = node.source;
  };
  const { textKeys, numericKeys } = options;
  const keepsNumber = (key: string) => (textKeys ? !textKeys.has(key) : (numericKeys?.has(key) ?? false));
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && keepsNumber(String(pair.key.value))) return;
      if (!isScalar(pair.key) && textKeys) return;
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

function locateIssue(issue: z.core.$ZodIssue, root: unknown, lines: LineCounter): YamlFileIssue {
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
