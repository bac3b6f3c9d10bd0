import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type StoreFactory, withStore } from './storeFactory.js';

export function policyContract(f: StoreFactory): void {
  describe(`${f.name}: calling policies, do-not-call lists, decisions, campaigns`, () => {
    test('policies and do-not-call lists change, and each change moves the version', () =>
      withStore(f, async (s) => {
        assert.equal(await s.policies.version(), 0);
        await s.policies.set(0, '{"window":"09:00-21:00"}', 5);
        await s.policies.set(0, '{"window":"10:00-20:00"}', 6);
        assert.equal(await s.policies.get(0), '{"window":"10:00-20:00"}');
        assert.equal(await s.policies.get(3), undefined);
        assert.equal(await s.policies.version(), 2);
        assert.equal(await s.policies.addDnc(3, ['159', '158', '159'], 'import', 7), 2);
        assert.equal(await s.policies.addDnc(3, ['159'], 'api', 8), 0, 'an existing number keeps its reason');
        assert.equal(await s.policies.version(), 3, 'no new number: no new version');
        await s.policies.addDnc(0, ['157'], 'cli', 9);
        assert.deepEqual(await s.policies.listDnc(3), [
          { accountId: 3, number: '158', reason: 'import', createdAt: 7 },
          { accountId: 3, number: '159', reason: 'import', createdAt: 7 },
        ]);
        assert.deepEqual(
          (await s.policies.listDnc()).map((d) => [d.accountId, d.number]),
          [
            [0, '157'],
            [3, '158'],
            [3, '159'],
          ],
        );
        assert.equal(await s.policies.removeDnc(3, ['159', '000']), 1);
        assert.equal(await s.policies.removeDnc(3, ['000']), 0);
        assert.equal(await s.policies.version(), 5);
      }));

    test("a call's policy decisions are kept in order", () =>
      withStore(f, async (s) => {
        await s.policies.addDecision({ callId: 'c1', at: 10, decision: 'wait', detail: 'outside window' });
        await s.policies.addDecision({ callId: 'c1', at: 20, decision: 'admitted', detail: '' });
        await s.policies.addDecision({ callId: 'c2', at: 15, decision: 'refused', detail: 'dnc' });
        assert.deepEqual(await s.policies.decisions('c1'), [
          { callId: 'c1', at: 10, decision: 'wait', detail: 'outside window' },
          { callId: 'c1', at: 20, decision: 'admitted', detail: '' },
        ]);
      }));

    test('a campaign is made with its rows; rows come due, change, are cancelled and counted', () =>
      withStore(f, async (s) => {
        const acc = await s.accounts.create({ name: 'a', now: 1 });
        const rows = [1, 2, 3, 4].map((n) => ({
          rowNo: n,
          calledNumber: `1590000000${n}`,
          outId: n === 1 ? 'o1' : null,
          params: `{"n":"${n}"}`,
          state: 'pending' as const,
          nextAt: n === 4 ? 500 : 100,
          reason: null,
        }));
        const id = await s.campaigns.create(
          {
            accountId: acc.id,
            name: 'spring',
            state: 'running',
            settings: '{}',
            createdAt: 50,
            startAt: 100,
          },
          rows,
        );
        const c = (await s.campaigns.find(id))!;
        assert.deepEqual(c, {
          id,
          accountId: acc.id,
          name: 'spring',
          state: 'running',
          settings: '{}',
          total: 4,
          createdAt: 50,
          startAt: 100,
          completedAt: null,
        });
        assert.deepEqual(
          (await s.campaigns.due(id, 100, 10)).map((r) => r.rowNo),
          [1, 2, 3],
        );
        assert.deepEqual(
          (await s.campaigns.due(id, 1000, 2)).map((r) => r.rowNo),
          [1, 2],
        );
        await s.campaigns.updateRow(id, 1, { state: 'calling', attempts: 1, lastCallId: 'call-1' }, 120);
        await s.campaigns.updateRow(id, 2, { state: 'waiting', nextAt: 50, reason: 'retry' }, 121);
        assert.deepEqual(
          (await s.campaigns.due(id, 100, 10)).map((r) => r.rowNo),
          [2, 3],
        );
        const byCall = (await s.campaigns.rowByCall('call-1'))!;
        assert.deepEqual(byCall, {
          campaignId: id,
          rowNo: 1,
          calledNumber: '15900000001',
          outId: 'o1',
          params: '{"n":"1"}',
          state: 'calling',
          attempts: 1,
          nextAt: 100,
          lastCallId: 'call-1',
          outcome: null,
          reason: null,
          updatedAt: 120,
        });
        assert.equal(await s.campaigns.nextDueAt(id), 50);
        assert.equal(await s.campaigns.cancelRows(id, 130), 3);
        assert.equal(await s.campaigns.nextDueAt(id), undefined);
        assert.deepEqual(await s.campaigns.countRows(id), { calling: 1, cancelled: 3 });
        assert.deepEqual(
          (await s.campaigns.rows(id, { state: 'cancelled', offset: 1, limit: 1 })).map((r) => r.rowNo),
          [3],
        );
        assert.deepEqual(
          (await s.campaigns.rows(id, { number: '15900000004' })).map((r) => r.rowNo),
          [4],
        );
        assert.equal((await s.campaigns.rows(id)).length, 4);
      }));

    test('a campaign moves between states until it is final', () =>
      withStore(f, async (s) => {
        const acc = await s.accounts.create({ name: 'a', now: 1 });
        const other = await s.accounts.create({ name: 'b', now: 1 });
        const base = { name: 'c', state: 'running' as const, settings: '{}', createdAt: 1, startAt: 1 };
        const id = await s.campaigns.create({ ...base, accountId: acc.id }, []);
        const id2 = await s.campaigns.create({ ...base, accountId: other.id }, []);
        assert.equal(await s.campaigns.setState(id, 'paused', 10), true);
        assert.deepEqual(
          (await s.campaigns.listByState('running')).map((c) => c.id),
          [id2],
        );
        assert.equal(await s.campaigns.setState(id, 'done', 20), true);
        assert.equal((await s.campaigns.find(id))!.completedAt, 20);
        assert.equal(await s.campaigns.setState(id, 'running', 30), false, 'a final campaign stays final');
        assert.deepEqual(
          (await s.campaigns.list(other.id)).map((c) => c.id),
          [id2],
        );
        assert.equal((await s.campaigns.list()).length, 2);
        assert.equal(await s.campaigns.find(999_999), undefined);
      }));
  });
}
