/** `smartcall admin tts-template add|list|remove` through the real command. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
after(() => dir.remove());

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', dir.path, '--json', ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}
const error = (r: { stderr: string }) => JSON.parse(r.stderr).error as string;

before(() => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'beta').status, 0);
});

test('a template is added with its variables, listed, and removed', () => {
  const text = `您好\${name}，您的订单\${order}已发货`;
  const added = smartcall(
    'admin',
    'tts-template',
    'add',
    '--account',
    'acme',
    '--id',
    'TTS_171950027',
    '--text',
    text,
  );
  assert.equal(added.status, 0, added.stderr);
  assert.deepEqual(
    { id: added.json().id, text: added.json().text, variables: added.json().variables },
    { id: 'TTS_171950027', text, variables: ['name', 'order'] },
  );
  assert.deepEqual(
    smartcall('admin', 'tts-template', 'list', '--account', 'acme')
      .json()
      .map((t: { id: string }) => t.id),
    ['TTS_171950027'],
  );
  assert.deepEqual(smartcall('admin', 'tts-template', 'list', '--account', 'beta').json(), []);

  const removed = smartcall('admin', 'tts-template', 'remove', '--account', 'acme', '--id', 'TTS_171950027');
  assert.equal(removed.status, 0, removed.stderr);
  assert.deepEqual(smartcall('admin', 'tts-template', 'list', '--account', 'acme').json(), []);
  const again = smartcall('admin', 'tts-template', 'remove', '--account', 'acme', '--id', 'TTS_171950027');
  assert.equal(again.status, 1);
  assert.match(error(again), /no TTS template TTS_171950027/);
});

test('a duplicate ID, a malformed ID or a malformed placeholder is refused and nothing changes', () => {
  assert.equal(
    smartcall('admin', 'tts-template', 'add', '--account', 'acme', '--id', 'TTS_1', '--text', '原文').status,
    0,
  );
  const dup = smartcall(
    'admin',
    'tts-template',
    'add',
    '--account',
    'beta',
    '--id',
    'TTS_1',
    '--text',
    '新文',
  );
  assert.equal(dup.status, 1);
  assert.match(error(dup), /TTS template TTS_1 already exists/);
  const badId = smartcall(
    'admin',
    'tts-template',
    'add',
    '--account',
    'acme',
    '--id',
    'SMS_1',
    '--text',
    'x',
  );
  assert.match(error(badId), /"TTS_" followed by 1-20 digits/);
  const badText = smartcall(
    'admin',
    'tts-template',
    'add',
    '--account',
    'acme',
    '--id',
    'TTS_2',
    '--text',
    `您好\${名字}`,
  );
  assert.match(error(badText), /malformed placeholder/);
  assert.deepEqual(
    smartcall('admin', 'tts-template', 'list', '--account', 'acme')
      .json()
      .map((t: { id: string; text: string }) => [t.id, t.text]),
    [['TTS_1', '原文']],
  );
});
