import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aCall } from './callContract.js';
import { type StoreFactory, withStore } from './storeFactory.js';

export function transactionContract(f: StoreFactory): void {
  describe(`${f.name}: transactions`, () => {
    test('a state change and the receipt it owes land together, or neither does', () =>
      withStore(f, async (s) => {
        const acc = (await s.accounts.create({ name: 'a', now: 1 })).id;
        const call = aCall(acc, 1);
        await s.calls.insert(call);
        const result = await s.transaction(async (tx) => {
          await tx.calls.update(call.callId, { state: 'failed', endAt: 50 });
          await tx.receipts.append({
            receiptId: `${call.callId}:VoiceReport:1`,
            accountId: acc,
            callId: call.callId,
            type: 'VoiceReport',
            stream: '',
            payload: '{}',
            nextAttemptAt: 50,
            createdAt: 50,
          });
          return 'done';
        });
        assert.equal(result, 'done');
        assert.equal((await s.calls.find(call.callId))!.state, 'failed');
        assert.equal((await s.receipts.listByCall(call.callId)).length, 1);

        const other = aCall(acc, 2);
        await s.calls.insert(other);
        await assert.rejects(
          s.transaction(async (tx) => {
            await tx.calls.update(other.callId, { state: 'ended' });
            await tx.trunks.upsert({
              ...(await import('./trunkContract.js')).aTrunk('t', { isDefault: true }),
            });
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal((await s.calls.find(other.callId))!.state, 'queued', 'rolled back');
        assert.equal(
          await s.trunks.find('t'),
          undefined,
          "a repository's own transaction joined the outer one",
        );
      }));

    test('transactions one after another each see the last one committed', () =>
      withStore(f, async (s) => {
        await s.meta.set('n', '0');
        await Promise.all(
          Array.from({ length: 8 }, () =>
            s.transaction(async (tx) => {
              // Serialised on SQLite; on PostgreSQL the row lock of the upsert below orders them.
              await tx.meta.set('lock', 'x');
              const n = Number(await tx.meta.get('n'));
              await tx.meta.set('n', String(n + 1));
            }),
          ),
        );
        assert.equal(await s.meta.get('n'), '8');
      }));
  });
}
