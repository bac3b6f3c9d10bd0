import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type StoreFactory, withStore } from './storeFactory.js';

export function mediaContract(f: StoreFactory): void {
  describe(`${f.name}: voice files, ASR models, TTS templates, dialog scripts`, () => {
    test('voice files are found per account and everywhere by ID', () =>
      withStore(f, async (s) => {
        const a = await s.accounts.create({ name: 'a', now: 1 });
        const b = await s.accounts.create({ name: 'b', now: 1 });
        const file = {
          id: 'v1.wav',
          accountId: a.id,
          name: 'hello',
          path: '/d/v1.wav',
          durationMs: 1234,
          createdAt: 10,
        };
        await s.voiceFiles.insert(file);
        await s.voiceFiles.insert({ ...file, accountId: b.id });
        await s.voiceFiles.insert({ ...file, id: 'v2.wav', createdAt: 11 });
        await assert.rejects(s.voiceFiles.insert(file), 'one ID per account');
        assert.deepEqual(await s.voiceFiles.find(a.id, 'v1.wav'), file);
        assert.equal(await s.voiceFiles.find(a.id, 'v9.wav'), undefined);
        assert.deepEqual(
          (await s.voiceFiles.findEverywhere('v1.wav')).map((v) => v.accountId),
          [a.id, b.id],
        );
        assert.deepEqual(
          (await s.voiceFiles.listByAccount(a.id)).map((v) => v.id),
          ['v1.wav', 'v2.wav'],
        );
      }));

    test('ASR models are kept, found, listed and changed', () =>
      withStore(f, async (s) => {
        const a = await s.accounts.create({ name: 'a', now: 1 });
        const m = { id: 'm1', accountId: a.id, name: 'yes-no', phrases: '是\n不是', createdAt: 3 };
        await s.asrModels.insert(m);
        assert.deepEqual(await s.asrModels.find(a.id, 'm1'), m);
        assert.equal(await s.asrModels.update(a.id, 'm1', { name: 'yn', phrases: '好' }), true);
        assert.equal(await s.asrModels.update(a.id, 'm2', { name: 'x', phrases: 'y' }), false);
        assert.deepEqual(await s.asrModels.findEverywhere('m1'), [{ ...m, name: 'yn', phrases: '好' }]);
        assert.deepEqual(await s.asrModels.listByAccount(a.id), [{ ...m, name: 'yn', phrases: '好' }]);
      }));

    test('TTS templates are kept, listed in creation order and removed', () =>
      withStore(f, async (s) => {
        const a = await s.accounts.create({ name: 'a', now: 1 });
        await s.ttsTemplates.insert({
          id: 'TTS_2',
          accountId: a.id,
          name: 'n2',
          text: '您好{name}',
          createdAt: 2,
        });
        await s.ttsTemplates.insert({ id: 'TTS_1', accountId: a.id, name: 'n1', text: 't1', createdAt: 1 });
        assert.equal((await s.ttsTemplates.find(a.id, 'TTS_2'))!.text, '您好{name}');
        assert.deepEqual(
          (await s.ttsTemplates.listByAccount(a.id)).map((t) => t.id),
          ['TTS_1', 'TTS_2'],
        );
        assert.equal((await s.ttsTemplates.findEverywhere('TTS_1')).length, 1);
        assert.equal(await s.ttsTemplates.remove(a.id, 'TTS_1'), true);
        assert.equal(await s.ttsTemplates.remove(a.id, 'TTS_1'), false);
        assert.equal(await s.ttsTemplates.find(a.id, 'TTS_1'), undefined);
      }));

    test('a dialog script is replaced in place, keeping its creation time', () =>
      withStore(f, async (s) => {
        const a = await s.accounts.create({ name: 'a', now: 1 });
        const d = {
          id: 'd1',
          accountId: a.id,
          name: 'n',
          source: 'src',
          script: '{}',
          createdAt: 5,
          updatedAt: 5,
        };
        await s.dialogScripts.put(d);
        await s.dialogScripts.put({
          ...d,
          name: 'n2',
          source: 'src2',
          script: '{"a":1}',
          createdAt: 9,
          updatedAt: 9,
        });
        await s.dialogScripts.put({ ...d, id: 'a0' });
        assert.deepEqual(await s.dialogScripts.find(a.id, 'd1'), {
          ...d,
          name: 'n2',
          source: 'src2',
          script: '{"a":1}',
          updatedAt: 9,
        });
        assert.deepEqual(
          (await s.dialogScripts.listByAccount(a.id)).map((x) => x.id),
          ['a0', 'd1'],
        );
        assert.equal(await s.dialogScripts.remove(a.id, 'd1'), true);
        assert.equal(await s.dialogScripts.remove(a.id, 'd1'), false);
      }));
  });
}
