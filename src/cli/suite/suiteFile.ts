/**
 * Reading a test suite file: YAML, or JSON by extension. Every problem is reported as
 * `file:line:column: path: message`, the way persona files report theirs.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { PersonaFileError, parseYamlWithSchema } from '../../phonenet/index.js';
import { resolveSuite, type Suite, suiteSchema } from './suiteSchema.js';

export class SuiteFileError extends Error {
  override name = 'SuiteFileError';
}

export function loadSuiteFile(path: string): Suite {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SuiteFileError(`${path}: cannot read: ${(err as Error).message}`);
  }
  return parseSuiteText(text, path);
}

export function parseSuiteText(text: string, file: string): Suite {
  try {
    return resolveSuite(parseYamlWithSchema(text, file, suiteSchema), basename(file, extname(file)));
  } catch (err) {
    if (err instanceof PersonaFileError) throw new SuiteFileError(err.message);
    throw err;
  }
}
