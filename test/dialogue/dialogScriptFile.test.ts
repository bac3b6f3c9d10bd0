/** Dialog scripts as written: what is accepted, and every problem named with its line and column. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { scriptPhrases, startNode } from '../../src/contract/dialogScript.js';
import { DialogScriptError, parseDialogScript } from '../../src/dialogue/dialogScriptFile.js';

function problems(text: string, file = 'survey.yaml'): string[] {
  try {
    parseDialogScript(text, file);
  } catch (err) {
    assert.ok(err instanceof DialogScriptError, String(err));
    return err.message.split('\n');
  }
  assert.fail('the script was accepted');
}

const GOOD = `name: t
nodes:
  ask:
    say: 您满意吗？
    listen:
      intents:
        - name: yes
          phrases: [满意]
          dtmf: 1
          next: bye
  bye:
    say: 再见
    hangup: true
`;

describe('dialog script files', () => {
  test('a good script is read with its start, numbers written as keys kept as text', () => {
    const s = parseDialogScript(GOOD, 'ok.yaml');
    assert.equal(startNode(s), 'ask');
    assert.equal(s.nodes.ask!.listen!.intents[0]!.dtmf, '1');
    assert.deepEqual(scriptPhrases(s), ['满意']);
  });

  test('a transfer number keeps its leading zero', () => {
    const s = parseDialogScript('nodes:\n  a:\n    transfer: 057188880000\n', 't.yaml');
    assert.equal(s.nodes.a!.transfer, '057188880000');
  });

  test('a reference to a missing node names the line and column of the reference', () => {
    assert.deepEqual(problems(GOOD.replace('next: bye', 'next: thanks')), [
      'survey.yaml:10:17: nodes.ask.listen.intents[0].next: no node named "thanks"',
    ]);
  });

  test('a node that goes on two ways, an unknown key and a missing start are each reported', () => {
    const text = `start: begin
nodes:
  a:
    say: hi
    next: b
    hangup: true
  b:
    sya: typo
    hangup: true
`;
    assert.deepEqual(
      problems(text).sort((x, y) => order(x) - order(y)),
      [
        'survey.yaml:1:8: start: no node named "begin"',
        'survey.yaml:3:3: nodes.a: a node goes on one way only, not next and hangup',
        'survey.yaml:8:10: nodes.b.sya: unknown key "sya"',
      ],
    );
  });

  test('a YAML syntax error names its line', () => {
    const [first] = problems('nodes:\n  a:\n    say: "unclosed\n');
    assert.match(first!, /^survey\.yaml:4:1: Missing closing "quote/);
  });

  test('a JSON script is read as JSON, and a JSON syntax error names its line', () => {
    const json = JSON.stringify({ nodes: { a: { say: 'hello', hangup: true } } }, null, 2);
    assert.equal(parseDialogScript(json, 'a.json').nodes.a!.say, 'hello');
    const [first] = problems('{\n  "nodes": {\n    "a": { "say": "x", }\n  }\n}', 'a.json');
    assert.match(first!, /^a\.json:3:\d+: invalid JSON/);
  });

  test('a phrase the recogniser cannot say is refused at its line', () => {
    const text = GOOD.replace('phrases: [满意]', 'phrases: [满意, zzqxv]');
    assert.deepEqual(problems(text), [
      'survey.yaml:8:25: nodes.ask.listen.intents[0].phrases[1]: the recogniser cannot expect "zzqxv": "zzqxv" is not in the dictionary: give an ARPAbet pronunciation after a tab',
    ]);
  });

  test('bad values: a play that is no VoiceCode, a menu with neither keys nor next, a branch without default', () => {
    const text = `nodes:
  a:
    play: "bad item!"
    menu:
      saveAs: x
  b:
    branch:
      - if: x
        equals: "1"
        next: a
`;
    const p = problems(text).join('\n');
    assert.match(p, /survey\.yaml:3:11: nodes\.a\.play: not a VoiceCode/);
    assert.match(p, /survey\.yaml:4:5: nodes\.a\.menu: a menu has either keys/);
    assert.match(p, /survey\.yaml:8:9: nodes\.b\.branch\[0\]: the last case of a branch has no `if`/);
  });

  test('the shipped examples are valid', () => {
    for (const f of ['examples/dialogs/survey.zh.yaml', 'examples/dialogs/appointment-reminder.en.yaml']) {
      const s = parseDialogScript(readFileSync(f, 'utf8'), f);
      assert.ok(Object.keys(s.nodes).length >= 5, f);
    }
  });
});

/** Sorts reported lines by line number (the reporter's order is the schema's). */
function order(line: string): number {
  return Number(/:(\d+):/.exec(line)?.[1] ?? 0);
}
