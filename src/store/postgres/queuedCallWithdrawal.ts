/**
 * Ending a call that is still `queued` from any node (CancelCall on an API node, issue 15): in one
 * transaction, the call's row is locked, found still queued, given its final fields, and the
 * receipts it owes are appended. A scheduler starting the same call (PgCallQueue.start) locks the
 * same row: whichever comes second sees the other's outcome, so a call is either cancelled or
 * dialled, never both.
 */
import type pg from 'pg';
import type { AccountRecord, CallRecord, ReceiptRecord } from '../records.js';
import type { CallPatch } from '../repositories.js';
import { PgCallRepository, PgReceiptRepository } from './callTables.js';
import { inTransaction } from './pgStore.js';
import { one } from './rows.js';
import { PgAccountRepository } from './tenancyTables.js';

export type NewReceipt = Omit<ReceiptRecord, 'id' | 'state' | 'attempts' | 'lastError' | 'deliveredAt'>;

/**
 * Applies `patch` to the call if it is still queued, with the receipts `receipts` makes of the
 * patched call and its account; the patched call, or undefined when it was not queued (unknown,
 * already dialling, or ended).
 */
export function withdrawQueuedCall(
  pool: pg.Pool,
  callId: string,
  patch: CallPatch,
  receipts: (call: CallRecord, account: AccountRecord | undefined) => NewReceipt[],
): Promise<CallRecord | undefined> {
  return inTransaction(pool, async (db) => {
    const row = await one<{ state: string }>(db, 'SELECT state FROM calls WHERE call_id = $1 FOR UPDATE', [
      callId,
    ]);
    if (row?.state !== 'queued') return undefined;
    const calls = new PgCallRepository(db);
    await calls.update(callId, patch);
    const call = (await calls.find(callId))!;
    const account = await new PgAccountRepository(db).findById(call.accountId);
    const outbox = new PgReceiptRepository(db);
    for (const receipt of receipts(call, account)) await outbox.append(receipt);
    return call;
  });
}
