/**
 * Voice files keep their Alibaba IDs through the real `smartcall` command: `voice upload --id`,
 * and `voice import` from a manifest or a folder, all or nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readWav } from '../../src/media/wavReader.js';
import { encodeWav } from '../../src/media/wavWriter.js';
import { chirp } from '../helpers/audio.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
const data = join(dir.path, 'data');
after(() => dir.remove());

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', data, '--json', ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

/** A 0.5 s stereo WAV, so storing it means transcoding it to mono. */
function wav(name: string, f0 = 300): string {
  const mono = chirp(0.5, f0, f0 * 3, 3);
  const path = join(dir.path, name);
  writeFileSync(path, encodeWav([mono, mono], 8000));
  return path;
}

const listIds = (account = 'acme') =>
  smartcall('admin', 'voice', 'list', '--account', account)
    .json()
    .map((v: { id: string }) => v.id)
    .sort();
/** Every file under the account's voice folder (so a refused import is seen to leave none). */
const storedFiles = () => {
  try {
    return readdirSync(join(data, 'voices', '1')).sort();
  } catch {
    return [];
  }
};

before(() => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'beta').status, 0);
});

test('upload --id keeps the Alibaba voice ID; the same ID again is refused and the stored file is untouched', () => {
  const id = '2d4c-4e78-8d2a-afbb06cf0001.wav';
  const r = smartcall(
    'admin',
    'voice',
    'upload',
    '--account',
    'acme',
    '--file',
    wav('hello.wav'),
    '--id',
    id,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json().id, id);
  assert.equal(r.json().name, 'hello.wav');
  const stored = readFileSync(join(data, 'voices', '1', id));
  assert.equal(readWav(stored).sampleRate, 8000);

  for (const account of ['acme', 'beta']) {
    const again = smartcall(
      'admin',
      'voice',
      'upload',
      '--account',
      account,
      '--file',
      wav('other.wav', 900),
      '--id',
      id,
    );
    assert.equal(again.status, 1);
    assert.match(
      JSON.parse(again.stderr).error,
      /voice ID 2d4c-4e78-8d2a-afbb06cf0001\.wav is already taken/,
    );
  }
  assert.deepEqual(readFileSync(join(data, 'voices', '1', id)), stored);
  assert.deepEqual(listIds(), [id]);
  assert.deepEqual(listIds('beta'), []);
});

test('upload --id refuses an ID that VoiceCode could not name, saying the rule', () => {
  for (const id of ['has space.wav', '../escape.wav', 'TTS_171950027', '$name$', 'a,b.wav']) {
    const r = smartcall('admin', 'voice', 'upload', '--account', 'acme', '--file', wav('x.wav'), '--id', id);
    assert.equal(r.status, 1, id);
    assert.match(JSON.parse(r.stderr).error, /is not a valid voice ID: a voice ID is 1-128 letters/, id);
  }
  assert.deepEqual(storedFiles(), ['2d4c-4e78-8d2a-afbb06cf0001.wav'], 'no file and no temporary left');
});

test('import --manifest stores every entry under its ID, paths taken from the manifest folder', () => {
  mkdirSync(join(dir.path, 'm1', 'audio'), { recursive: true });
  writeFileSync(join(dir.path, 'm1', 'audio', 'a.wav'), readFileSync(wav('a.wav', 200)));
  writeFileSync(join(dir.path, 'm1', 'audio', 'b.wav'), readFileSync(wav('b.wav', 400)));
  const manifest = join(dir.path, 'm1', 'voices.json');
  writeFileSync(
    manifest,
    JSON.stringify([
      { id: '2d4c-4e78-8d2a-afbb06cf0002.wav', file: 'audio/a.wav', name: '欢迎语' },
      { id: '2d4c-4e78-8d2a-afbb06cf0003.wav', file: 'audio/b.wav' },
    ]),
  );
  const r = smartcall('admin', 'voice', 'import', '--account', 'acme', '--manifest', manifest);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.json().imported.map((v: { id: string; name: string }) => [v.id, v.name]),
    [
      ['2d4c-4e78-8d2a-afbb06cf0002.wav', '欢迎语'],
      ['2d4c-4e78-8d2a-afbb06cf0003.wav', 'b.wav'],
    ],
  );
  assert.deepEqual(listIds(), [
    '2d4c-4e78-8d2a-afbb06cf0001.wav',
    '2d4c-4e78-8d2a-afbb06cf0002.wav',
    '2d4c-4e78-8d2a-afbb06cf0003.wav',
  ]);
});

test('import --dir takes each *.wav file name as its ID and skips other files', () => {
  const prompts = join(dir.path, 'prompts');
  mkdirSync(prompts);
  writeFileSync(join(prompts, '7a1b-0000-0000-000000000001.wav'), readFileSync(wav('c.wav', 250)));
  writeFileSync(join(prompts, '7a1b-0000-0000-000000000002.WAV'), readFileSync(wav('d.wav', 350)));
  writeFileSync(join(prompts, 'README.txt'), 'not audio');
  const r = smartcall('admin', 'voice', 'import', '--account', 'beta', '--dir', prompts);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.json().skipped, ['README.txt']);
  assert.deepEqual(listIds('beta'), ['7a1b-0000-0000-000000000001.wav', '7a1b-0000-0000-000000000002.WAV']);
});

test('an import with an ID already stored is refused whole: nothing is written', () => {
  const prompts = join(dir.path, 'prompts2');
  mkdirSync(prompts);
  writeFileSync(join(prompts, '9f00-0000-0000-000000000001.wav'), readFileSync(wav('e.wav')));
  writeFileSync(join(prompts, '2d4c-4e78-8d2a-afbb06cf0001.wav'), readFileSync(wav('f.wav')));
  const before = storedFiles();
  const r = smartcall('admin', 'voice', 'import', '--account', 'acme', '--dir', prompts);
  assert.equal(r.status, 1);
  const error = JSON.parse(r.stderr).error as string;
  assert.match(error, /import refused, nothing was stored: 1 problem/);
  assert.match(
    error,
    /2d4c-4e78-8d2a-afbb06cf0001\.wav: voice ID 2d4c-4e78-8d2a-afbb06cf0001\.wav is already taken/,
  );
  assert.ok(!listIds().includes('9f00-0000-0000-000000000001.wav'), 'the good entry was not stored either');
  assert.deepEqual(storedFiles(), before, 'no file and no temporary left');
});

test('a manifest with many bad entries is refused once, naming every problem with its entry', () => {
  const m = join(dir.path, 'm2');
  mkdirSync(m);
  writeFileSync(join(m, 'good.wav'), readFileSync(wav('g.wav')));
  writeFileSync(join(m, 'bogus.wav'), 'this is not audio');
  writeFileSync(
    join(m, 'voices.json'),
    JSON.stringify([
      { id: 'aaaa-0000-0000-000000000001.wav', file: 'good.wav' },
      { id: 'aaaa-0000-0000-000000000002.wav', file: 'missing.wav' },
      { id: 'aaaa-0000-0000-000000000003.wav', file: 'bogus.wav' },
      { id: 'bad id.wav', file: 'good.wav' },
      { id: 'aaaa-0000-0000-000000000001.wav', file: 'good.wav' },
      { id: '2d4c-4e78-8d2a-afbb06cf0003.wav', file: 'good.wav' },
      { id: 'aaaa-0000-0000-000000000007.wav', path: 'good.wav' },
      'nonsense',
    ]),
  );
  const before = storedFiles();
  const r = smartcall('admin', 'voice', 'import', '--account', 'acme', '--manifest', join(m, 'voices.json'));
  assert.equal(r.status, 1);
  const lines = (JSON.parse(r.stderr).error as string).split('\n');
  assert.match(lines[0]!, /import refused, nothing was stored: 8 problems/);
  const expected = [
    /^ {2}entry 2 \(aaaa-0000-0000-000000000002\.wav\): cannot read .*missing\.wav: ENOENT$/,
    /^ {2}entry 3 \(aaaa-0000-0000-000000000003\.wav\): .*bogus\.wav: .*WAV/,
    /^ {2}entry 4 \(bad id\.wav\): "bad id\.wav" is not a valid voice ID/,
    /^ {2}entry 5 \(aaaa-0000-0000-000000000001\.wav\): ID aaaa-0000-0000-000000000001\.wav is also given to entry 1/,
    /^ {2}entry 6 \(2d4c-4e78-8d2a-afbb06cf0003\.wav\): voice ID .* is already taken/,
    /^ {2}entry 7 \(aaaa-0000-0000-000000000007\.wav\): unknown key "path"/,
    /^ {2}entry 7 \(aaaa-0000-0000-000000000007\.wav\): "file" is missing/,
    /^ {2}entry 8: must be an object/,
  ];
  assert.equal(lines.length, 1 + expected.length, lines.join('\n'));
  for (const [i, re] of expected.entries()) assert.match(lines[i + 1]!, re);
  assert.ok(!listIds().includes('aaaa-0000-0000-000000000001.wav'));
  assert.deepEqual(storedFiles(), before, 'no file and no temporary left');
});
