/**
 * The tenant a PostgreSQL-backed node test needs: an account, its AccessKey (the secret sealed with
 * the nodes' master key) and a display number, written through the store's admin repositories.
 */
import type { PgStore } from '../../src/store/postgres/pgStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';

export interface TenantSeed {
  masterKey: string;
  keyId: string;
  secret: string;
  /** The display number (`CalledShowNumber`) the account owns. */
  show: string;
}

/** Creates the account, its active AccessKey and its display number; returns the account's id. */
export async function seedTenant(admin: PgStore, t: TenantSeed): Promise<{ accountId: number }> {
  const account = await admin.accounts.create({ name: 'tenant', now: Date.now() });
  await admin.accessKeys.insert({
    accessKeyId: t.keyId,
    accountId: account.id,
    secretEnc: SecretBox.fromMasterKey(t.masterKey).seal(t.secret),
    status: 'active',
    createdAt: Date.now(),
  });
  await admin.numbers.add({ number: t.show, accountId: account.id, createdAt: Date.now() });
  return { accountId: account.id };
}
