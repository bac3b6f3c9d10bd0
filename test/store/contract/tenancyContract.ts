import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type StoreFactory, withStore } from './storeFactory.js';

export function tenancyContract(f: StoreFactory): void {
  describe(`${f.name}: accounts, access keys, numbers, meta`, () => {
    test('an account is made with defaults, found by id and name, and its settings change one by one', () =>
      withStore(f, async (s) => {
        const a = await s.accounts.create({ name: 'acme', qps: 7, now: 1000 });
        assert.equal(a.name, 'acme');
        assert.equal(a.qps, 7);
        assert.equal(a.status, 'active');
        assert.deepEqual(a.callback, {
          url: null,
          timeoutMs: 3000,
          fallbackReply: null,
          bodyMode: 'query',
          signingSecretEnc: null,
          unrecognized: 'callback',
        });
        assert.deepEqual(a.receipts, { url: null, types: [], typeUrls: {} });
        assert.equal(a.allowedDestinations, null);
        assert.equal(a.createdAt, 1000);
        const b = await s.accounts.create({ name: 'beta', now: 2000 });
        assert.ok(b.id > a.id);
        assert.deepEqual(await s.accounts.findById(a.id), a);
        assert.deepEqual(await s.accounts.findByName('beta'), b);
        assert.equal(await s.accounts.findByName('nobody'), undefined);
        assert.equal(await s.accounts.findById(999_999), undefined);
        await s.accounts.setStatus(a.id, 'disabled');
        await s.accounts.setQps(a.id, null);
        await s.accounts.setAllowedDestinations(a.id, ['^1\\d{10}$']);
        await s.accounts.setCallback(a.id, {
          url: 'http://127.0.0.1:9/cb',
          timeoutMs: 1500,
          fallbackReply: '{"action":"hangup"}',
          bodyMode: 'form',
          signingSecretEnc: 'sealed',
          unrecognized: 'silent',
        });
        await s.accounts.setReceipts(a.id, {
          url: 'http://127.0.0.1:9/r',
          types: ['VoiceReport', 'VoiceCallReport'],
          typeUrls: { VoiceRecordReport: 'http://127.0.0.1:9/rec' },
        });
        const changed = (await s.accounts.findById(a.id))!;
        assert.equal(changed.status, 'disabled');
        assert.equal(changed.qps, null);
        assert.deepEqual(changed.allowedDestinations, ['^1\\d{10}$']);
        assert.equal(changed.callback.bodyMode, 'form');
        assert.equal(changed.callback.unrecognized, 'silent');
        assert.equal(changed.callback.signingSecretEnc, 'sealed');
        assert.deepEqual(changed.receipts, {
          url: 'http://127.0.0.1:9/r',
          types: ['VoiceReport', 'VoiceCallReport'],
          typeUrls: { VoiceRecordReport: 'http://127.0.0.1:9/rec' },
        });
        await s.accounts.setReceipts(a.id, { url: null, types: [] });
        assert.deepEqual((await s.accounts.findById(a.id))!.receipts.typeUrls, {}, 'no typeUrls: none kept');
        assert.deepEqual(
          (await s.accounts.list()).map((x) => x.name),
          ['acme', 'beta'],
        );
      }));

    test('an account name is unique', () =>
      withStore(f, async (s) => {
        await s.accounts.create({ name: 'acme', now: 1 });
        await assert.rejects(s.accounts.create({ name: 'acme', now: 2 }));
      }));

    test('access keys are kept per account, disabled, deleted, and go with their account', () =>
      withStore(f, async (s) => {
        const a = await s.accounts.create({ name: 'acme', now: 1 });
        const key = {
          accessKeyId: 'LTAI1',
          accountId: a.id,
          secretEnc: 'enc',
          status: 'active' as const,
          createdAt: 5,
        };
        await s.accessKeys.insert(key);
        await s.accessKeys.insert({ ...key, accessKeyId: 'LTAI2', createdAt: 6 });
        assert.deepEqual(await s.accessKeys.find('LTAI1'), key);
        await assert.rejects(s.accessKeys.insert(key), 'an AccessKeyId is unique');
        assert.deepEqual(
          (await s.accessKeys.listByAccount(a.id)).map((k) => k.accessKeyId),
          ['LTAI1', 'LTAI2'],
        );
        assert.equal(await s.accessKeys.setStatus('LTAI1', 'disabled'), true);
        assert.equal((await s.accessKeys.find('LTAI1'))!.status, 'disabled');
        assert.equal(await s.accessKeys.setStatus('nope', 'disabled'), false);
        assert.equal(await s.accessKeys.delete('LTAI2'), true);
        assert.equal(await s.accessKeys.delete('LTAI2'), false);
        assert.equal(await s.accessKeys.find('LTAI2'), undefined);
        await assert.rejects(
          s.accessKeys.insert({ ...key, accessKeyId: 'LTAI3', accountId: 999_999 }),
          'a key of no account is refused',
        );
      }));

    test('display numbers belong to one account and may receive inbound calls', () =>
      withStore(f, async (s) => {
        const a = await s.accounts.create({ name: 'acme', now: 1 });
        const b = await s.accounts.create({ name: 'beta', now: 1 });
        await s.numbers.add({ number: '057188880002', accountId: a.id, createdAt: 3 });
        await s.numbers.add({ number: '057188880001', accountId: a.id, inbound: true, createdAt: 4 });
        await assert.rejects(s.numbers.add({ number: '057188880001', accountId: b.id, createdAt: 5 }));
        assert.deepEqual(await s.numbers.find('057188880001'), {
          number: '057188880001',
          accountId: a.id,
          inbound: true,
          createdAt: 4,
        });
        assert.deepEqual(
          (await s.numbers.listByAccount(a.id)).map((n) => [n.number, n.inbound]),
          [
            ['057188880001', true],
            ['057188880002', false],
          ],
        );
        assert.equal(await s.numbers.setInbound(a.id, '057188880002', true), true);
        assert.equal(await s.numbers.setInbound(b.id, '057188880002', true), false, 'not its number');
        assert.equal(await s.numbers.remove(b.id, '057188880002'), false);
        assert.equal(await s.numbers.remove(a.id, '057188880002'), true);
        assert.equal(await s.numbers.find('057188880002'), undefined);
      }));

    test('meta facts are set, replaced and read', () =>
      withStore(f, async (s) => {
        assert.equal(await s.meta.get('demo'), undefined);
        await s.meta.set('demo', 'made');
        await s.meta.set('demo', 'again');
        assert.equal(await s.meta.get('demo'), 'again');
      }));
  });
}
