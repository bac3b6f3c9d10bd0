/**
 * EarlyMediaListening with fakes: the media's frames, a fake listener for the speech layer and a
 * callback exchange that records what it is asked to post. Pins down what an operator announcement
 * becomes (a code, an early-media callback) and what closing and finishing do to the listener.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { CallEvents } from '../../src/calls/callEvents.js';
import type { ListenerEvents, ListenerFactory } from '../../src/calls/callListener.js';
import { EarlyMediaListening } from '../../src/calls/earlyMediaListening.js';
import type { CallbackContent } from '../../src/contract/callbackContent.js';
import type { CallbackDecision } from '../../src/dialogue/dialogueEngine.js';
import { silentLogger } from '../../src/observability/logger.js';
import { EARLY_MEDIA_MODEL } from '../../src/speech/earlyMediaPhrases.js';

function setUp() {
  const media = new EventEmitter();
  const events = new CallEvents();
  const posted: { event: CallbackContent; earlyMedia: boolean | undefined }[] = [];
  const state = {
    pushed: 0,
    closed: 0,
    finished: 0,
    model: '',
    listener: undefined as ListenerEvents | undefined,
  };
  /** What the listener reports when told to finish (the sentence the failure cut off). */
  let lastSentence: string | undefined;
  const listeners: ListenerFactory = (o) => {
    state.model = o.asrBaseId;
    state.listener = o.events;
    return {
      push: () => {
        state.pushed++;
      },
      finish: async () => {
        state.finished++;
        if (lastSentence) o.events.speechEnded(0, { words: lastSentence, beginAt: 0, endAt: 1200 });
      },
      close: () => {
        state.closed++;
      },
    };
  };
  const early = new EarlyMediaListening({
    callId: 'c1',
    request: { pauseTime: 800, dynamicId: null, calledNumber: '15900001111' },
    account: { id: 1, name: 'acme' },
    media: media as never,
    listeners,
    callbacks: {
      post: async (event, o): Promise<CallbackDecision> => {
        posted.push({ event, earlyMedia: o?.earlyMedia });
        return { action: { action: 'donothing' } as never, source: 'reply' };
      },
    },
    events,
    log: silentLogger(),
  });
  return {
    early,
    media,
    posted,
    state,
    cutOff: (words: string) => {
      lastSentence = words;
    },
  };
}

test('an announcement is heard with the announcement model and says why the call fails', () => {
  const { early, posted, state } = setUp();
  assert.equal(state.model, EARLY_MEDIA_MODEL);
  state.listener!.speechEnded(1000, { words: '您拨打的电话已关机', beginAt: 100, endAt: 1100 });
  assert.equal(early.code, '200010');
  assert.equal(posted.length, 1);
  assert.equal(posted[0]!.earlyMedia, true, 'outside the conversation’s failure policy');
  const content = posted[0]!.event.content as { current_media_code: string; end_offset: string };
  assert.equal(content.current_media_code, 'early_media');
  assert.equal(content.end_offset, '1000');
});

test('silence recognised as nothing is neither a code nor a callback', () => {
  const { early, posted, state } = setUp();
  state.listener!.speechEnded(1000, { words: undefined, beginAt: 100, endAt: 1100 });
  assert.equal(early.code, undefined);
  assert.equal(posted.length, 0);
});

test('answered: closing drops the listener at once and lets go of the frames', () => {
  const { early, media, state } = setUp();
  media.emit('frame', new Int16Array(160), 0);
  early.close();
  media.emit('frame', new Int16Array(160), 20);
  assert.equal(state.pushed, 1);
  assert.equal(state.closed, 1);
  assert.equal(state.finished, 0, 'nothing more is recognised');
  assert.equal(media.listenerCount('frame'), 0);
});

test('failed: finishing recognises the announcement the failure cut off and waits for its callback', async () => {
  const { early, media, posted, state, cutOff } = setUp();
  cutOff('对不起，您拨打的号码是空号');
  await early.finish();
  assert.equal(state.finished, 1);
  assert.equal(state.closed, 1);
  assert.equal(early.code, '200004');
  assert.equal(posted.length, 1);
  assert.equal(media.listenerCount('frame'), 0);
  await early.finish();
  early.close();
  assert.equal(state.closed, 1, 'closed once');
});
