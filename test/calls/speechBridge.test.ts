/**
 * The speech bridge on a manual clock: its waits are bounded with `within()` on the injected clock
 * (no timer is left behind), the grace period for a missing recognition runs on that clock, and
 * the account's name reaches the engine selection (per-account engines).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ListenerEvents } from '../../src/calls/callListener.js';
import { speechListeners } from '../../src/calls/speechBridge.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { AsrSelection } from '../../src/speech/speechEngines.js';

const SPEECH = new Int16Array(160).fill(1);
const SILENCE = new Int16Array(160);

function engines(finish: () => Promise<void>) {
  const selections: AsrSelection[] = [];
  return {
    selections,
    createVad: () => ({
      name: 'fake',
      threshold: 0.5,
      process: (frame: Int16Array) => (frame[0] ? 1 : 0),
      reset() {},
      close() {},
    }),
    asr: (selection: AsrSelection) => {
      selections.push(selection);
      return {
        name: 'silent',
        createStream: () => ({ write() {}, finish, close() {} }),
        close: async () => {},
      };
    },
  };
}

function events() {
  const ended: { at: number; words: string | undefined }[] = [];
  const e: ListenerEvents = {
    speechStarted() {},
    speechContinuing() {},
    speechEnded: (at, r) => ended.push({ at, words: r.words }),
  };
  return { e, ended };
}

const options = (e: ListenerEvents) => ({
  accountId: 7,
  accountName: 'acme',
  asrBaseId: 'customer_service_8k',
  asrModelId: null,
  pauseTimeMs: 300,
  events: e,
  log: silentLogger(),
});

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('fault 7: finish() waits for the ASR and leaves no timer behind', async () => {
  const clock = new ManualClock();
  const listener = speechListeners(
    engines(async () => {}),
    clock,
  )(options(events().e));
  const before = timeouts();
  await listener.finish();
  assert.equal(timeouts(), before, 'no real 3-second timer is left running');
  assert.equal(clock.pendingTimers, 0, 'the bound on the wait is cleared');
  listener.close();
});

test('fault 7: finish() gives up after 3 s on the call clock when the ASR never finishes', async () => {
  const clock = new ManualClock();
  const listener = speechListeners(
    engines(() => new Promise<void>(() => {})),
    clock,
  )(options(events().e));
  let done = false;
  const finishing = listener.finish().then(() => {
    done = true;
  });
  await clock.advanceAsync(2900, 100);
  assert.equal(done, false);
  await clock.advanceAsync(200, 100);
  await finishing;
  assert.equal(done, true);
  listener.close();
});

test('a sentence the ASR says nothing about is reported unrecognised after the grace, on the call clock', async () => {
  const clock = new ManualClock();
  const { e, ended } = events();
  const listener = speechListeners(
    engines(async () => {}),
    clock,
  )(options(e));
  const t0 = clock.now();
  for (let i = 0; i < 50; i++) listener.push(i < 20 ? SPEECH : SILENCE, t0 + 20 * i);
  assert.equal(ended.length, 0);
  clock.advance(4000);
  assert.equal(ended.length, 1);
  assert.equal(ended[0]!.words, undefined);
  assert.equal(ended[0]!.at, clock.now(), 'reported at the call clock time');
  listener.close();
  assert.equal(clock.pendingTimers, 0);
});

test('fault 5: the listener selects the engine with the account name', () => {
  const clock = new ManualClock();
  const fake = engines(async () => {});
  speechListeners(fake, clock)(options(events().e)).close();
  assert.deepEqual(fake.selections, [
    { accountId: 7, accountName: 'acme', asrBaseId: 'customer_service_8k' },
  ]);
});
