/**
 * Reading persona files (YAML, or JSON by extension). Every problem is reported with the line and
 * column it is on (dialogue/yamlSchemaFile.ts: syntax errors from the parser, schema problems mapped
 * back onto the document's nodes).
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import {
  parseYamlWithSchema as parseChecked,
  YamlFileError,
  type YamlFileIssue,
} from '../dialogue/yamlSchemaFile.js';
import { type Persona, personaFileSchema } from './personaSchema.js';

export type PersonaFileIssue = YamlFileIssue;

/** A persona file's problems, each at its line and column. */
export class PersonaFileError extends YamlFileError {
  override name = 'PersonaFileError';
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
  try {
    return parseChecked(text, file, schema, { textKeys: TEXTUAL_KEYS });
  } catch (err) {
    if (err instanceof YamlFileError && !(err instanceof PersonaFileError))
      throw new PersonaFileError(err.file, [...err.issues]);
    throw err;
  }
}
