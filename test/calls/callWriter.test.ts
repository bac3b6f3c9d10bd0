/**
 * The CallWriter's group commit over an async store: calls that arrive in one turn of the event
 * loop go out as one batch; at most `maxInFlight` batches commit at once, and whatever arrives
 * meanwhile waits and goes out together as the next batch; each call is answered with its own
 * result once its batch has committed, and a failed batch rejects only its own calls.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallWriter } from '../../src/calls/callWriter.js';
import type { CallRecord } from '../../src/store/records.js';
import { aCall } from '../store/contract/callContract.js';

/** A store whose commits wait until the test settles them. */
function heldStore() {
  const batches: { ids: string[]; settle: (r: boolean[] | Error) => void }[] = [];
  return {
    batches,
    calls: {
      insertAll(records: readonly CallRecord[]): Promise<boolean[]> {
        return new Promise((resolve, reject) => {
          batches.push({
            ids: records.map((r) => r.callId),
            settle: (r) => (r instanceof Error ? reject(r) : resolve(r)),
          });
        });
      },
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));
const ids = (n: number[]) => n.map((i) => aCall(1, i).callId);

test('while two batches commit, later calls wait and go out together as the next batch', async () => {
  const store = heldStore();
  const writer = CallWriter.overAsync(store.calls, 2);
  const answers: Promise<boolean>[] = [];
  const insert = (n: number) => answers.push(writer.insert(aCall(1, n)));
  insert(1);
  insert(2);
  await turn();
  insert(3);
  await turn();
  // Two batches in flight: these three wait, over several turns.
  insert(4);
  await turn();
  insert(5);
  await turn();
  insert(6);
  await turn();
  assert.deepEqual(
    store.batches.map((b) => b.ids),
    [ids([1, 2]), ids([3])],
  );
  store.batches[1]!.settle([false]);
  assert.equal(await answers[2], false, "the second batch's call has its own answer");
  await turn();
  assert.deepEqual(store.batches[2]?.ids, ids([4, 5, 6]), 'one batch of what waited');
  store.batches[0]!.settle([true, true]);
  store.batches[2]!.settle([true, false, true]);
  assert.deepEqual(await Promise.all(answers), [true, true, false, true, false, true]);
});

test('a failed batch rejects its own calls only, and the writer goes on', async () => {
  const store = heldStore();
  const writer = CallWriter.overAsync(store.calls, 1);
  const first = writer.insert(aCall(1, 1));
  await turn();
  const second = writer.insert(aCall(1, 2));
  await turn();
  assert.equal(store.batches.length, 1, 'one batch at a time');
  store.batches[0]!.settle(new Error('connection lost'));
  await assert.rejects(first, /connection lost/);
  await turn();
  assert.deepEqual(store.batches[1]?.ids, ids([2]));
  store.batches[1]!.settle([true]);
  assert.equal(await second, true);
});

test('a batch holds at most 1000 calls: more go out in the next batch', async () => {
  const store = heldStore();
  const writer = CallWriter.overAsync(store.calls, 2);
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const answers = range(1, 2500).map((n) => writer.insert(aCall(1, n)));
  await turn();
  assert.deepEqual(
    store.batches.map((b) => b.ids.length),
    [1000, 1000],
    'two batches of 1000 in flight, the rest waits',
  );
  assert.deepEqual(store.batches[0]!.ids, ids(range(1, 1000)));
  assert.deepEqual(store.batches[1]!.ids, ids(range(1001, 1000)));
  store.batches[0]!.settle(range(1, 1000).map(() => true));
  await turn();
  assert.deepEqual(store.batches[2]?.ids, ids(range(2001, 500)), 'the rest, in order');
  store.batches[1]!.settle(range(1, 1000).map(() => true));
  store.batches[2]!.settle(range(1, 500).map(() => true));
  assert.equal((await Promise.all(answers)).length, 2500);
});

test('over a synchronous store too, a transaction holds at most 1000 calls', async () => {
  const sizes: number[] = [];
  const writer = new CallWriter({
    commit: (records) => {
      sizes.push(records.length);
      return records.map(() => true);
    },
  });
  const answers = Array.from({ length: 2001 }, (_, i) => writer.insert(aCall(1, i + 1)));
  assert.equal((await Promise.all(answers)).every(Boolean), true);
  assert.deepEqual(sizes, [1000, 1000, 1]);
});
