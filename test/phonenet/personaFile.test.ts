/** The persona file format: what it accepts, and errors that name the line and the problem. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BUILTIN_NUMBERS, builtinPersonas } from '../../src/phonenet/builtinPersonas.js';
import { loadPersonaFile, PersonaFileError, parsePersonaText } from '../../src/phonenet/personaFile.js';
import { summarizePersona } from '../../src/phonenet/personaSummary.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir('phonenet-file-');
after(() => dir.remove());

function problem(text: string, file = 'p.yaml'): { line: number; message: string; all: string } {
  try {
    parsePersonaText(text, file);
  } catch (err) {
    assert.ok(err instanceof PersonaFileError, String(err));
    return { line: err.issues[0]!.line, message: err.issues[0]!.message, all: err.message };
  }
  assert.fail('the file was accepted');
}

const GOOD = `personas:
  - name: my-customer
    number: 13900001111
    voice: xiaogang
    steps:
      - ring: 1200
      - answer
      - wait: { until: prompt-end, maxMs: 8000 }
      - say: 你好
      - say: { text: 是的, voice: xiaoyun }
      - barge-in: { text: 等一下, afterMs: 500 }
      - silence: 1000
      - dtmf: 1234
      - repeat: { times: 2, steps: [ { wait: 500 }, { dtmf: "#" } ] }
      - hangup
  - name: everyone-else
    number: ["1390000****", "/^1391234\\\\d{4}$/"]
    steps:
      - announce: { text: 您拨打的电话正在通话中, times: 2 }
      - reject: { status: 486, reason: Busy Here }
`;

test('a YAML persona file with every kind of step is read into normalized steps', () => {
  const [mine, rest] = parsePersonaText(GOOD, 'p.yaml');
  assert.equal(mine!.name, 'my-customer');
  assert.equal(mine!.numbers[0]!.source, '13900001111', 'an unquoted number keeps its digits');
  assert.deepEqual(mine!.steps.slice(0, 5), [
    { kind: 'ring', ms: 1200 },
    { kind: 'answer' },
    { kind: 'wait-prompt', until: 'prompt-end', maxMs: 8000 },
    { kind: 'say', text: '你好' },
    { kind: 'say', text: '是的', voice: 'xiaoyun' },
  ]);
  assert.deepEqual(mine!.steps[7], { kind: 'dtmf', digits: '1234' });
  assert.equal(mine!.steps[8]!.kind, 'repeat');
  assert.deepEqual(
    rest!.numbers.map((n) => n.kind),
    ['wildcard', 'regex'],
  );
  assert.ok(rest!.numbers[0]!.matches('13900009999'));
  assert.ok(rest!.numbers[1]!.matches('13912345678'));
  assert.equal(mine!.maxCallMs, 300_000, 'defaults apply');
});

test('the same personas in JSON are read the same way', () => {
  const json = JSON.stringify({
    personas: [{ name: 'j', number: 13900002222, steps: ['answer', { say: 'hello' }, 'hangup'] }],
  });
  const path = join(dir.path, 'p.json');
  writeFileSync(path, json);
  const [p] = loadPersonaFile(path);
  assert.equal(p!.numbers[0]!.source, '13900002222');
  assert.deepEqual(p!.steps, [{ kind: 'answer' }, { kind: 'say', text: 'hello' }, { kind: 'hangup' }]);
});

test('an unknown step is reported at its line, with the list of steps', () => {
  const p = problem('personas:\n  - name: a\n    number: "1"\n    steps:\n      - answer\n      - sya: hi\n');
  assert.equal(p.line, 6);
  assert.match(p.message, /unknown step "sya"/);
  assert.match(p.message, /say/);
  assert.match(p.all, /^p\.yaml:6:\d+: personas\[0\]\.steps\[1\]/);
});

test('a reject status outside 400-699 is reported at its line', () => {
  const p = problem('personas:\n  - name: a\n    number: "1"\n    steps:\n      - reject: 200\n');
  assert.equal(p.line, 5);
  assert.match(p.message, /400-699/);
});

test('an unknown voice, a bad regex and bad digits are each reported where they are', () => {
  const text = [
    'personas:',
    '  - name: a',
    '    number: "/^13[/"',
    '    voice: nobody',
    '    steps:',
    '      - answer',
    '      - dtmf: "12x"',
  ].join('\n');
  try {
    parsePersonaText(text, 'p.yaml');
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof PersonaFileError);
    const byLine = new Map(err.issues.map((i) => [i.line, i.message]));
    assert.match(byLine.get(3) ?? '', /regular expression/);
    assert.match(byLine.get(4) ?? '', /voice/);
    assert.match(byLine.get(7) ?? '', /DTMF digits/);
  }
});

test('a missing field and an unknown key are reported at the persona that lacks or has them', () => {
  const missing = problem('personas:\n  - name: a\n    steps: [answer]\n');
  assert.equal(missing.line, 2);
  assert.match(missing.all, /number/);
  const unknown = problem('personas:\n  - name: a\n    number: "1"\n    colour: red\n    steps: [answer]\n');
  assert.equal(unknown.line, 4);
  assert.match(unknown.message, /unknown key "colour"/);
});

test('a step that needs a value, and a map with two steps, are explained', () => {
  assert.match(problem('personas:\n  - {name: a, number: "1", steps: [say]}\n').message, /needs a value/);
  const two = problem(
    'personas:\n  - name: a\n    number: "1"\n    steps:\n      - { ring: 1, answer: null }\n',
  );
  assert.equal(two.line, 5);
  assert.match(two.message, /exactly one step/);
});

test('the same exact number twice is refused: the second persona would never answer', () => {
  const p = problem(
    'personas:\n  - {name: a, number: "1", steps: [answer]}\n  - {name: b, number: "1", steps: [answer]}\n',
  );
  assert.equal(p.line, 3);
  assert.match(p.message, /already belongs to persona "a"/);
});

test('YAML and JSON syntax errors name their line', () => {
  assert.equal(problem('personas:\n  - name: a\n   number: [1\n').line > 0, true);
  const json = problem('{\n  "personas": [\n    {"name": "a",}\n  ]\n}\n', 'p.json');
  assert.equal(json.line, 3);
  assert.match(json.message, /invalid JSON/);
});

test('an unreadable file is an error naming the file', () => {
  assert.throws(() => loadPersonaFile(join(dir.path, 'missing.yaml')), /missing\.yaml: cannot read/);
});

test('the built-in personas parse and say what each one does', () => {
  const personas = builtinPersonas();
  assert.equal(personas.length, Object.keys(BUILTIN_NUMBERS).length);
  const summary = new Map(personas.map((p) => [p.name, summarizePersona(p)]));
  assert.deepEqual(summary.get('busy')!.expected, { outcome: 'failed', status: 486 });
  assert.deepEqual(summary.get('cooperative-zh')!.expected, { outcome: 'answered', hangsUp: false });
  assert.deepEqual(summary.get('hangs-up-early')!.expected, { outcome: 'answered', hangsUp: true });
  assert.equal(summary.get('powered-off')!.earlyMedia, true);
  assert.equal(summary.get('no-answer')!.expected.outcome, 'no-answer');
  assert.equal(summary.get('rejects')!.setupMs, 1500);
  for (const [name, number] of Object.entries(BUILTIN_NUMBERS))
    assert.deepEqual(summary.get(name)!.numbers, [number]);
});

test("the README's example persona file is valid", () => {
  const readme = readFileSync(new URL('../../../src/phonenet/README.md', import.meta.url), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example, 'the README has a YAML example');
  const personas = parsePersonaText(example, 'README.md');
  assert.deepEqual(
    personas.map((p) => p.name),
    ['my-customer', 'switched-off', 'nobody-home'],
  );
  assert.equal(personas[0]!.steps.length, 14);
});

test('a when step reads prompt_contains (one phrase or a list) with its steps and otherwise', () => {
  const [p] = parsePersonaText(
    `personas:
  - name: picky
    number: "13900003333"
    steps:
      - answer
      - wait: prompt-end
      - when: { prompt_contains: 满意, steps: [{ say: 满意 }], otherwise: [{ say: 不知道 }] }
      - when:
          prompt_contains: [推荐, 520]
          steps: [{ dtmf: 1 }]
`,
    'w.yaml',
  );
  assert.deepEqual(p!.steps.slice(2), [
    {
      kind: 'when',
      promptContains: ['满意'],
      steps: [{ kind: 'say', text: '满意' }],
      otherwise: [{ kind: 'say', text: '不知道' }],
    },
    { kind: 'when', promptContains: ['推荐', '520'], steps: [{ kind: 'dtmf', digits: '1' }], otherwise: [] },
  ]);
  assert.match(
    summarizePersona(p!).behaviour,
    /if the prompt says "满意": says "满意"; otherwise says "不知道"/,
  );
});

test('a when step without steps, or with an unknown key, is reported at its line', () => {
  const noSteps = problem(`personas:
  - name: picky
    number: "13900003333"
    steps:
      - answer
      - when: { prompt_contains: 满意 }
`);
  assert.equal(noSteps.line, 6);
  assert.match(noSteps.all, /steps\[1\]\.when\.steps/);
  const unknown = problem(`personas:
  - name: picky
    number: "13900003333"
    steps:
      - answer
      - when:
          prompt_contains: 满意
          steps: [{ say: 好 }]
          then: [{ say: 好 }]
`);
  assert.equal(unknown.line, 9);
  assert.match(unknown.message, /unknown key "then"/);
});
