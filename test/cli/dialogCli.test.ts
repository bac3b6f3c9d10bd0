/** `smartcall admin dialog add|list|show|remove|validate` through the real command. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
after(() => dir.remove());
const SURVEY = 'examples/dialogs/survey.zh.yaml';
const REMINDER = 'examples/dialogs/appointment-reminder.en.yaml';

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', dir.path, ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}
const ids = (account: string) =>
  smartcall('--json', 'admin', 'dialog', 'list', '--account', account)
    .json()
    .map((d: { id: string }) => d.id);

before(() => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'beta').status, 0);
});

test('add stores a script under --id, or under its file name; list shows it for that account only', () => {
  const added = smartcall(
    '--json',
    'admin',
    'dialog',
    'add',
    '--account',
    'acme',
    '--file',
    SURVEY,
    '--id',
    'survey',
  );
  assert.equal(added.status, 0, added.stderr);
  assert.deepEqual(
    { id: added.json().id, start: added.json().start, nodes: added.json().nodes },
    { id: 'survey', start: 'greet', nodes: 10 },
  );
  const byName = smartcall('admin', 'dialog', 'add', '--account', 'acme', '--file', REMINDER);
  assert.equal(byName.status, 0, byName.stderr);
  assert.match(byName.stdout, /added dialog appointment-reminder\.en \(6 nodes, starts at remind\)/);
  assert.deepEqual(ids('acme'), ['appointment-reminder.en', 'survey']);
  assert.deepEqual(ids('beta'), [], '--account chooses whose scripts');
});

test('show prints the script as written, with --json its details and the checked script', () => {
  smartcall('admin', 'dialog', 'add', '--account', 'beta', '--file', SURVEY, '--id', 'shown');
  const shown = smartcall('admin', 'dialog', 'show', '--account', 'beta', '--id', 'shown');
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(shown.stdout, readFileSync(SURVEY, 'utf8'));
  const json = smartcall('--json', 'admin', 'dialog', 'show', '--account', 'beta', '--id', 'shown').json();
  assert.equal(json.script.nodes.greet.listen.intents[0].dtmf, '1');
  const missing = smartcall('admin', 'dialog', 'show', '--account', 'acme', '--id', 'shown');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no dialog "shown" in this account/);
});

test('remove deletes the script; removing it again is an error', () => {
  smartcall('admin', 'dialog', 'add', '--account', 'beta', '--file', SURVEY, '--id', 'gone');
  const removed = smartcall('admin', 'dialog', 'remove', '--account', 'beta', '--id', 'gone');
  assert.equal(removed.status, 0, removed.stderr);
  assert.ok(!ids('beta').includes('gone'));
  const again = smartcall('admin', 'dialog', 'remove', '--account', 'beta', '--id', 'gone');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /no dialog "gone"/);
});

test('validate checks --file: ok for the examples, file:line:column and the problem otherwise', () => {
  const ok = smartcall('admin', 'dialog', 'validate', '--file', REMINDER);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /appointment-reminder\.en\.yaml: valid \(6 nodes, starts at remind\)/);
  const bad = join(dir.path, 'bad.yaml');
  writeFileSync(bad, readFileSync(SURVEY, 'utf8').replace('next: check-score', 'next: check-scroe'));
  const r = smartcall('admin', 'dialog', 'validate', '--file', bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.yaml:57:13: nodes\.score\.menu\.next: no node named "check-scroe"/);
});

test('add refuses a broken file, a bad ID and a voice file the account lacks, storing nothing', () => {
  const bad = join(dir.path, 'broken.yaml');
  writeFileSync(bad, 'nodes:\n  a:\n    say: hi\n');
  const r = smartcall('admin', 'dialog', 'add', '--account', 'acme', '--file', bad);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /broken\.yaml:2:3: nodes\.a: a node needs one of next, branch, listen, menu, hangup, transfer/,
  );
  const badId = smartcall('admin', 'dialog', 'add', '--account', 'acme', '--file', SURVEY, '--id', '-x');
  assert.equal(badId.status, 1);
  assert.match(badId.stderr, /dialog ID "-x" is not valid/);
  const voice = join(dir.path, 'voice.yaml');
  writeFileSync(voice, 'nodes:\n  a:\n    play: hello-0001.wav\n    hangup: true\n');
  const v = smartcall('admin', 'dialog', 'add', '--account', 'acme', '--file', voice);
  assert.equal(v.status, 1);
  assert.match(
    v.stderr,
    /voice\.yaml:3:11: nodes\.a\.play: voice file hello-0001\.wav is not in this account/,
  );
  assert.deepEqual(ids('acme'), ['appointment-reminder.en', 'survey']);
});
