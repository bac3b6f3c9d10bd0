import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aCall } from './callContract.js';
import { type StoreFactory, withStore } from './storeFactory.js';

const ev = (callId: string, at: number, type = 'prompt', data = '{}') => ({ callId, at, type, data });

export function callEventContract(f: StoreFactory): void {
  describe(`${f.name}: call timeline events, answering-machine settings and results`, () => {
    test("a call's events come back in the order appended, whatever their times", () =>
      withStore(f, async (s) => {
        await s.callEvents.append([
          ev('c1', 300, 'state', '{"state":"dialing"}'),
          ev('c2', 100),
          ev('c1', 200),
        ]);
        await s.callEvents.append([]);
        await s.callEvents.append([ev('c1', 250.6, 'speech', '{"text":"你好"}')]);
        assert.deepEqual(await s.callEvents.listByCall('c1'), [
          ev('c1', 300, 'state', '{"state":"dialing"}'),
          ev('c1', 200),
          ev('c1', 251, 'speech', '{"text":"你好"}'),
        ]);
        assert.deepEqual(await s.callEvents.listByCall('c2'), [ev('c2', 100)]);
        assert.deepEqual(await s.callEvents.listByCall('none'), []);
      }));

    test('the retention sweep deletes the oldest events up to the first newer one', () =>
      withStore(f, async (s) => {
        await s.callEvents.append([ev('a', 100), ev('b', 200), ev('a', 300), ev('b', 150), ev('a', 400)]);
        assert.equal(await s.callEvents.removeBefore(50), 0);
        assert.equal(await s.callEvents.removeBefore(250), 2, 'stops at the first event at or after');
        assert.deepEqual(
          (await s.callEvents.listByCall('b')).map((e) => e.at),
          [150],
        );
        assert.equal(await s.callEvents.removeBefore(1000), 3);
        assert.deepEqual(await s.callEvents.listByCall('a'), []);
        assert.equal(await s.callEvents.removeBefore(1000), 0);
      }));

    test('answering-machine settings per account: set, replaced, removed; a call keeps its result', () =>
      withStore(f, async (s) => {
        const acc = (await s.accounts.create({ name: 'acme', now: 1 })).id;
        const other = (await s.accounts.create({ name: 'other', now: 1 })).id;
        assert.equal(await s.amdSettings.get(acc), undefined);
        await s.amdSettings.set(acc, '{"action":"hangup"}', 10);
        await s.amdSettings.set(acc, '{"action":"continue"}', 20.4);
        await s.amdSettings.set(other, '{"action":"hangup"}', 30);
        assert.equal(await s.amdSettings.get(acc), '{"action":"continue"}');
        assert.equal(await s.amdSettings.remove(acc), true);
        assert.equal(await s.amdSettings.remove(acc), false);
        assert.equal(await s.amdSettings.get(acc), undefined);
        assert.equal(await s.amdSettings.get(other), '{"action":"hangup"}');

        const call = aCall(acc, 1);
        await s.calls.insert(call);
        assert.equal((await s.calls.find(call.callId))?.amd, null);
        await s.calls.update(call.callId, { amd: '{"result":"machine"}' });
        assert.equal((await s.calls.find(call.callId))?.amd, '{"result":"machine"}');
        await s.calls.insert(aCall(acc, 2, { amd: '{"result":"human"}' }));
        assert.equal((await s.calls.find(aCall(acc, 2).callId))?.amd, '{"result":"human"}');
      }));
  });
}
