/** Creating a campaign (CLI and BatchRobotSmartCall alike): check the rows, store them with the settings. */
import { GLOBAL_POLICY_ACCOUNT } from '../../store/records.js';
import type { Store } from '../../store/repositories.js';
import {
  type CampaignInputRow,
  type CampaignSettings,
  campaignPolicy,
  checkRows,
  type RowCheck,
} from './campaignSettings.js';

/** Which do-not-call list has the number (the account's or the operator's), read once from the store. */
export function dncLookup(store: Store, accountId: number): (number: string) => string | undefined {
  const account = new Set(store.policies.listDnc(accountId).map((r) => r.number));
  const operator = new Set(store.policies.listDnc(GLOBAL_POLICY_ACCOUNT).map((r) => r.number));
  return (n) => (account.has(n) ? "account's" : operator.has(n) ? "operator's" : undefined);
}

export interface NewCampaign {
  accountId: number;
  name: string;
  settings: CampaignSettings;
  rows: readonly CampaignInputRow[];
  now: number;
  startAt?: number;
  outIdMaxBytes: number;
}

/** The rows as checked (skips with reasons), without writing anything (`--dry-run`). */
export function previewCampaign(store: Store, c: NewCampaign): RowCheck[] {
  campaignPolicy(c.settings); // throws PolicyError on a bad window / retry
  return checkRows(c.rows, {
    voiceCode: c.settings.voiceCode,
    ...(c.settings.defaults && { defaults: c.settings.defaults }),
    outIdMaxBytes: c.outIdMaxBytes,
    blocked: dncLookup(store, c.accountId),
  });
}

export function createCampaign(store: Store, c: NewCampaign): { id: number; checks: RowCheck[] } {
  const checks = previewCampaign(store, c);
  const startAt = c.startAt ?? c.now;
  const id = store.campaigns.create(
    {
      accountId: c.accountId,
      name: c.name,
      state: 'running',
      settings: JSON.stringify(c.settings),
      createdAt: c.now,
      startAt,
    },
    checks.map(({ row, skip }) => ({
      rowNo: row.line,
      calledNumber: row.number,
      outId: row.outId,
      params: JSON.stringify(row.params),
      state: skip ? 'skipped' : 'pending',
      nextAt: startAt,
      reason: skip ?? null,
    })),
  );
  return { id, checks };
}
