import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { readWav } from '../../src/media/wavReader.js';
import { VoiceLibrary, VoiceUploadError } from '../../src/media-library/voiceLibrary.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
const store = SqliteStore.inMemory();
const account = store.accounts.create({ name: 'acme', now: 1 });
const library = new VoiceLibrary(store, dir.path);
after(() => {
  store.close();
  dir.remove();
});

function sox(name: string, ...format: string[]): string {
  const path = `${dir.path}/${name}`;
  execFileSync('sox', ['-n', ...format, path, 'synth', '1.2', 'sine', '440', 'vol', '0.5']);
  return path;
}

for (const [label, format] of [
  ['44.1 kHz stereo 16-bit', ['-r', '44100', '-c', '2', '-b', '16']],
  ['16 kHz mono 24-bit', ['-r', '16000', '-c', '1', '-b', '24']],
  ['48 kHz stereo 32-bit float', ['-r', '48000', '-c', '2', '-e', 'floating-point', '-b', '32']],
  ['8 kHz µ-law', ['-r', '8000', '-c', '1', '-e', 'u-law']],
] as const) {
  test(`a ${label} WAV is stored as 8 kHz mono 16-bit with its duration`, async () => {
    const source = sox(`${label.replace(/\W+/g, '_')}.wav`, ...format);
    const v = await library.upload(account.id, source);
    assert.match(v.id, /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.wav$/);
    assert.ok(Math.abs(v.durationMs - 1200) <= 5, String(v.durationMs));
    const stored = readWav(readFileSync(v.path));
    assert.equal(stored.sampleRate, 8000);
    assert.equal(stored.channels, 1);
    assert.equal(stored.bitDepth, '16');
    const peak = stored.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    assert.ok(peak > 10_000 && peak < 20_000, `a half-scale tone stays half scale (peak ${peak})`);
    assert.equal(library.find(account.id, v.id)?.name, `${label.replace(/\W+/g, '_')}.wav`);
  });
}

test('a file that is not a WAV is refused with the reason, and nothing is recorded', async () => {
  const bogus = `${dir.path}/bogus.wav`;
  writeFileSync(bogus, 'this is not audio');
  const before = library.list(account.id).length;
  await assert.rejects(
    library.upload(account.id, bogus),
    (e: Error) => e instanceof VoiceUploadError && /not a readable WAV/.test(e.message),
  );
  await assert.rejects(library.upload(account.id, `${dir.path}/missing.wav`), /ENOENT/);
  assert.equal(library.list(account.id).length, before);
});
