import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** test/fixtures/<sub> from the compiled test (dist/test/sip/*.js → repository root). */
export function fixturePath(sub: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/${sub}`, import.meta.url));
}

/** name → bytes for every `*.sip` file of a fixture folder. */
export function loadSipFixtures(sub: string): Map<string, Buffer> {
  const dir = fixturePath(sub);
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.sip')) out.set(f.slice(0, -4), readFileSync(`${dir}/${f}`));
  }
  return out;
}
