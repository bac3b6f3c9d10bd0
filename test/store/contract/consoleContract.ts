import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type StoreFactory, withStore } from './storeFactory.js';

export function consoleContract(f: StoreFactory): void {
  describe(`${f.name}: console users and sessions`, () => {
    test('a user name is taken once; removing a user ends their sessions', () =>
      withStore(f, async (s) => {
        const acc = await s.accounts.create({ name: 'a', now: 1 });
        const admin = {
          name: 'root',
          passwordHash: 'scrypt$x',
          role: 'admin' as const,
          accountId: null,
          createdAt: 1,
        };
        assert.equal(await s.consoleUsers.insert(admin), true);
        assert.equal(await s.consoleUsers.insert(admin), false);
        await s.consoleUsers.insert({ ...admin, name: 'ann', role: 'viewer', accountId: acc.id });
        assert.deepEqual(await s.consoleUsers.find('root'), admin);
        assert.deepEqual(
          (await s.consoleUsers.list()).map((u) => [u.name, u.accountId]),
          [
            ['ann', acc.id],
            ['root', null],
          ],
        );
        const session = { tokenHash: 'h1', userName: 'ann', csrfToken: 'c', createdAt: 10, expiresAt: 20 };
        await s.consoleSessions.insert(session);
        assert.deepEqual(await s.consoleSessions.find('h1'), session);
        assert.equal(await s.consoleUsers.remove('ann'), true);
        assert.equal(await s.consoleUsers.remove('ann'), false);
        assert.equal(await s.consoleSessions.find('h1'), undefined, 'the session went with its user');
      }));

    test('sessions are removed one by one or when expired', () =>
      withStore(f, async (s) => {
        await s.consoleUsers.insert({
          name: 'u',
          passwordHash: 'h',
          role: 'admin',
          accountId: null,
          createdAt: 1,
        });
        for (const [h, exp] of [
          ['a', 10],
          ['b', 20],
          ['c', 30],
        ] as const) {
          await s.consoleSessions.insert({
            tokenHash: h,
            userName: 'u',
            csrfToken: 'x',
            createdAt: 1,
            expiresAt: exp,
          });
        }
        await s.consoleSessions.remove('c');
        assert.equal(await s.consoleSessions.removeExpired(20), 1);
        assert.equal(await s.consoleSessions.find('a'), undefined);
        assert.ok(await s.consoleSessions.find('b'));
      }));
  });
}
