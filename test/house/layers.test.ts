/**
 * The layers of docs/architecture.md are enforced by `npm run lint` (biome's noRestrictedImports,
 * configured per folder in biome.json). Each case lints a two-file tree laid out like src/ with
 * the project's own biome.json: a lower layer importing a higher one must fail, the reverse pass.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const biome = join(root, 'node_modules/.bin/biome');
const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8')) as Record<string, unknown>;
delete config.$schema;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Lints `src/<from>/probe.ts` importing `src/<to>/<file>.ts`; the diagnostics text, or '' when
 * clean.
 */
function lintImport(from: string, to: string, file = 'target'): string {
  const dir = mkdtempSync(join(tmpdir(), 'smartcall-layers-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
  mkdirSync(join(dir, 'src', from), { recursive: true });
  mkdirSync(join(dir, 'src', to), { recursive: true });
  writeFileSync(join(dir, 'src', to, `${file}.ts`), 'export type Target = number;\n');
  writeFileSync(
    join(dir, 'src', from, 'probe.ts'),
    `import type { Target } from '../${to}/${file}.js';\n\nexport type Probe = Target;\n`,
  );
  const r = spawnSync(biome, ['lint', '--max-diagnostics=5', 'src'], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
}

describe('layers enforced by the linter', () => {
  const forbidden: [string, string][] = [
    ['speech', 'store'],
    ['speech', 'calls'],
    ['sip', 'media'],
    ['media', 'dialogue'],
    ['rtp', 'callback'],
    ['dialogue', 'calls'],
    ['callback', 'calls'],
    ['media-library', 'calls'],
    ['dialogue', 'openapi'],
    ['calls', 'openapi'],
    ['calls', 'cli'],
    ['contract', 'calls'],
    ['clock', 'media'],
    ['net', 'media-library'],
    ['net', 'observability'],
    ['cluster', 'openapi'],
    ['cluster', 'store'],
  ];
  for (const [from, to] of forbidden) {
    test(`${from}/ importing ${to}/ fails the lint`, () => {
      const out = lintImport(from, to);
      assert.match(out, /noRestrictedImports/);
      assert.match(out, /Layering/);
    });
  }
  const allowed: [string, string][] = [
    ['calls', 'dialogue'],
    ['phonenet', 'telephony'],
    ['speech', 'media'],
    ['dialogue', 'contract'],
    ['cli', 'calls'],
    ['openapi', 'cluster'],
    ['cluster', 'observability'],
  ];
  for (const [from, to] of allowed) {
    test(`${from}/ importing ${to}/ passes`, () => {
      assert.equal(lintImport(from, to), '');
    });
  }

  test('other folders reach sip/ only through sip/index.js', () => {
    assert.match(lintImport('telephony', 'sip', 'dialog'), /sip\/index\.js/);
    assert.match(lintImport('calls', 'sip', 'callFailure'), /sip\/index\.js/);
    assert.equal(lintImport('telephony', 'sip', 'index'), '');
  });
});
