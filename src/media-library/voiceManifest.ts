/**
 * What `smartcall admin voice import` reads, turned into import entries (VoiceLibrary.import):
 * - a manifest: a JSON array of `{"id": "<voice ID>", "file": "<wav path>", "name": "<label>"}`
 *   (`name` optional, default the file name); relative paths are taken from the manifest's folder.
 *   Unknown keys are problems, so a misspelt `"path"` is not silently ignored;
 * - a folder: every `*.wav` file directly in it, the file name being the ID (Alibaba IDs end in
 *   `.wav`). Other files and hidden files are skipped and listed.
 * Problems found here travel with their entry, so one refusal lists them all.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type VoiceImportEntry, VoiceImportError } from './voiceLibrary.js';

const MANIFEST_KEYS = new Set(['id', 'file', 'name']);

function stringField(o: Record<string, unknown>, key: string, problems: string[], required: boolean) {
  const v = o[key];
  if (v === undefined) {
    if (required) problems.push(`"${key}" is missing`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '') {
    problems.push(`"${key}" must be a non-empty string`);
    return undefined;
  }
  return v;
}

export function readVoiceManifest(path: string): VoiceImportEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new VoiceImportError([
      { entry: path, problem: e.code ? `cannot read it: ${e.code}` : `not JSON: ${e.message}` },
    ]);
  }
  if (!Array.isArray(value)) {
    throw new VoiceImportError([
      { entry: path, problem: 'must be a JSON array of {"id", "file", "name"?} objects' },
    ]);
  }
  const base = dirname(path);
  return value.map((item: unknown, i): VoiceImportEntry => {
    const problems: string[] = [];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return { label: `entry ${i + 1}`, id: '', file: '', problems: ['must be an object'] };
    }
    const o = item as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!MANIFEST_KEYS.has(key)) problems.push(`unknown key "${key}" (use id, file, name)`);
    }
    const id = stringField(o, 'id', problems, true) ?? '';
    const file = stringField(o, 'file', problems, true);
    const name = stringField(o, 'name', problems, false);
    return {
      label: id ? `entry ${i + 1} (${id})` : `entry ${i + 1}`,
      id,
      file: file ? resolve(base, file) : '',
      ...(name !== undefined && { name }),
      problems,
    };
  });
}

export function readVoiceFolder(dir: string): { entries: VoiceImportEntry[]; skipped: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new VoiceImportError([{ entry: dir, problem: `cannot read the folder: ${e.code ?? e.message}` }]);
  }
  const entries: VoiceImportEntry[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    const file = resolve(dir, name);
    if (name.startsWith('.') || !/\.wav$/i.test(name) || !statSync(file).isFile()) {
      skipped.push(name);
      continue;
    }
    entries.push({ label: name, id: name, file, problems: [] });
  }
  return { entries, skipped };
}
