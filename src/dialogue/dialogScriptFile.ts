/**
 * Reading a dialog script from YAML or JSON text: every problem is a `YamlFileError` issue naming
 * the line, the column and what is wrong (`survey.yaml:12:15: nodes.greet.listen.intents[0].next:
 * no node named "thank"`). Beyond the schema, every phrase and keyword must be one the embedded
 * recogniser can say (pinyin for Chinese, the dictionary for English), or calls would go deaf.
 */
import { readFileSync } from 'node:fs';
import { type DialogScript, dialogScriptSchema, NUMERIC_KEYS } from '../contract/dialogScript.js';
import { PhraseListError, parsePhraseList } from '../speech/phrase/phraseList.js';
import { parseYamlWithSchema, YamlFileError } from './yamlSchemaFile.js';

export { YamlFileError as DialogScriptError } from './yamlSchemaFile.js';

/** A phrase as the recogniser's grammar gets it (src/speech/speechEngines.ts). */
export function grammarPhrase(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .trim();
}

function unsayable(script: DialogScript): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const [name, node] of Object.entries(script.nodes)) {
    node.listen?.intents.forEach((intent, i) => {
      for (const key of ['phrases', 'keywords'] as const) {
        intent[key]?.forEach((phrase, j) => {
          try {
            parsePhraseList(grammarPhrase(phrase));
          } catch (err) {
            if (!(err instanceof PhraseListError)) throw err;
            out.push({
              path: ['nodes', name, 'listen', 'intents', i, key, j],
              message: `the recogniser cannot expect "${phrase}": ${err.message.replace(/^line \d+: /, '')}`,
            });
          }
        });
      }
    });
  }
  return out;
}

export type ScriptCheck = (script: DialogScript) => { path: PropertyKey[]; message: string }[];

/**
 * Parses script text; `file` names it in errors and picks JSON when it ends in `.json`. `check`
 * adds problems of its own (an account's missing voice files), reported at their lines too.
 */
export function parseDialogScript(text: string, file: string, check?: ScriptCheck): DialogScript {
  const all: ScriptCheck = (script) => [...unsayable(script), ...(check?.(script) ?? [])];
  return parseYamlWithSchema(text, file, dialogScriptSchema, {
    numericKeys: NUMERIC_KEYS,
    check: all as (value: never) => { path: PropertyKey[]; message: string }[],
  });
}

export function loadDialogScript(
  path: string,
  check?: ScriptCheck,
): { script: DialogScript; source: string } {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new YamlFileError(path, [
      { line: 0, column: 0, path: '', message: `cannot read: ${(err as Error).message}` },
    ]);
  }
  return { script: parseDialogScript(source, path, check), source };
}
