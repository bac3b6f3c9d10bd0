/**
 * The dialog runner's branching: what a script replies to each turn of a conversation (the engine
 * around it is tested on its own). Driven with the shipped survey and small scripts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { CallbackContent } from '../../src/contract/callbackContent.js';
import type { CallbackAction } from '../../src/contract/callbackReply.js';
import { type DialogHooks, DialogRunner, matchesIntent } from '../../src/dialogue/dialogRunner.js';
import { parseDialogScript } from '../../src/dialogue/dialogScriptFile.js';

const survey = parseDialogScript(
  readFileSync('examples/dialogs/survey.zh.yaml', 'utf8'),
  'examples/dialogs/survey.zh.yaml',
);

const normal = (words: string) => ({ type: 'normal', content: { words } }) as unknown as CallbackContent;
const mute = { type: 'mute', content: { dynamic_id: '' } } as CallbackContent;
const keys = (dtmf_digits: string) =>
  ({ type: 'dtmf', content: { dynamic_id: '', dtmf_digits } }) as CallbackContent;
const noHooks: DialogHooks = () => Promise.resolve({ error: 'no hooks here' });

/** What an action says, as text: its TTS values in order. */
function said(a: CallbackAction): string {
  if (!('actionCode' in a) || !a.actionCode) return '';
  return a.actionCode
    .split(',')
    .map((item) => a.actionCodeParam?.[item.replace(/\$/g, '')] ?? item)
    .join('');
}

function runner(script = survey, hooks = noHooks, variables: Record<string, string> = { company: '好运来' }) {
  return new DialogRunner(script, { variables, muteTimeMs: 3000, hooks });
}

describe('the dialog runner', () => {
  test('a cooperative survey: satisfied by voice, a score key, thanks and hang-up', async () => {
    const r = runner();
    const open = await r.opening();
    assert.equal(open.action, 'play');
    assert.match(said(open), /^您好，这里是好运来回访/, 'VoiceCodeParam fills {{company}}');
    assert.equal((open as { actionCodeBreak: boolean }).actionCodeBreak, true, 'speech may cut the question');
    assert.equal(open.muteTime, 3000, 'listening waits the call MuteTime');
    const menu = await r.answer(normal('非常满意'));
    assert.equal(menu.action, 'dtmf');
    assert.match(said(menu), /请为本次服务打分/);
    assert.deepEqual((menu as { dtmf: unknown }).dtmf, {
      noInputTimeoutS: 8,
      maxDigits: 1,
      endCharacter: '',
    });
    const end = await r.answer(keys('5'));
    assert.equal(end.action, 'hangup');
    assert.equal(said(end), '感谢您的宝贵意见，再见！');
    assert.deepEqual(r.path, ['greet', 'score', 'check-score', 'thanks']);
    assert.equal(r.variables.satisfied, 'yes');
    assert.equal(r.variables.score, '5');
    assert.equal(r.variables.intent, 'satisfied');
    assert.equal((await r.answer(mute)).action, 'donothing', 'after the end, nothing');
  });

  test('a low score goes through the apology, prompts back to back before the hang-up', async () => {
    const r = runner();
    await r.opening();
    await r.answer(keys('1')); // a key while listening picks the intent with that dtmf
    const end = await r.answer(keys('2'));
    assert.equal(said(end), '很抱歉没能让您满意，我们会继续努力。感谢您的宝贵意见，再见！');
    assert.deepEqual(r.path, ['greet', 'score', 'check-score', 'sorry', 'thanks']);
  });

  test('silence asks again once (sorry + the question), then says goodbye', async () => {
    const r = runner();
    const open = await r.opening();
    const again = await r.answer(mute);
    assert.equal(again.action, 'play');
    assert.equal(said(again), `不好意思，没有听到您的声音。${said(open)}`);
    const end = await r.answer(mute);
    assert.equal(end.action, 'hangup');
    assert.equal(said(end), '不好意思，没有听到您的声音。我们稍后再联系您，再见。');
    assert.deepEqual(r.path, ['greet', 'no-answer']);
  });

  test('words matching no intent are a no-match; unsatisfied leads to the reason and a transfer', async () => {
    const r = runner();
    await r.opening();
    const again = await r.answer(normal('你是谁'));
    assert.match(said(again), /^抱歉，我没有听清。您好/);
    assert.equal(r.variables.heard, '你是谁');
    const reason = await r.answer(normal('不满意'));
    assert.match(said(reason), /主要是价格/);
    const offer = await r.answer(normal('价格太贵了'));
    assert.match(said(offer), /我们会改进价格方面的问题/, 'the intent set {{reason}}');
    const toAgent = await r.answer(normal('需要'));
    assert.equal(toAgent.action, 'play', 'the transfer waits for its prompt');
    assert.equal(toAgent.muteTime, 1000);
    assert.equal((await r.answer(normal('喂'))).action, 'donothing');
    assert.deepEqual(await r.answer(mute), { action: 'transfer', number: '057188880000' });
    assert.deepEqual(r.path, ['greet', 'reason', 'agent-offer', 'to-agent']);
  });

  test('a hook reply gives variables; a failing hook goes to onError; a branch reads both', async () => {
    const script = parseDialogScript(
      `nodes:
  lookup:
    hook: { url: "http://127.0.0.1:9/x", onError: sorry }
    branch:
      - { if: status, equals: due, next: remind }
      - { next: bye }
  remind:
    say: "{{name}}, you owe {{amount}}"
    hangup: true
  bye:
    hangup: true
  sorry:
    say: "error {{hook_error}}"
    hangup: true
`,
      'hook.yaml',
    );
    const bodies: unknown[] = [];
    const ok = runner(
      script,
      (hook, body) => {
        bodies.push({ url: hook.url, ...body });
        return Promise.resolve({ variables: { status: 'due', amount: '42' } });
      },
      { name: 'Li' },
    );
    assert.equal(said(await ok.opening()), 'Li, you owe 42');
    assert.deepEqual(bodies, [{ url: 'http://127.0.0.1:9/x', node: 'lookup', variables: { name: 'Li' } }]);
    const failing = runner(script, () => Promise.resolve({ error: 'timeout' }), {});
    assert.equal(said(await failing.opening()), 'error timeout');
    assert.deepEqual(failing.path, ['lookup', 'sorry']);
  });

  test('a loop of next nodes with no wait ends in a hang-up instead of spinning', async () => {
    const script = parseDialogScript('nodes:\n  a:\n    next: b\n  b:\n    next: a\n', 'loop.yaml');
    const a = await runner(script).opening();
    assert.equal(a.action, 'hangup');
  });

  test('phrases match whole utterances, keywords substrings (English: whole words)', () => {
    const intent = { name: 'x', phrases: ['yes', '是的'], keywords: ['confirm', '满意'], next: 'n' };
    assert.ok(matchesIntent(intent, 'Yes!'));
    assert.ok(matchesIntent(intent, '是的。'));
    assert.ok(!matchesIntent(intent, 'yes please'), 'a phrase is the whole utterance');
    assert.ok(matchesIntent(intent, 'i confirm it'));
    assert.ok(!matchesIntent(intent, 'confirmation'), 'an English keyword is a whole word');
    assert.ok(matchesIntent(intent, '非常满意'));
    assert.ok(!matchesIntent(intent, ''));
  });
});
