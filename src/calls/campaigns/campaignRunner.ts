/**
 * Runs the campaigns of the store: every poll, each running campaign's due rows go through the
 * policy gate — skipped (do-not-call), deferred (window, cap: the row waits until then) or turned
 * into a queued call with the display number the gate chose — and the dialer places those calls
 * under the trunk's CPS and concurrency limits like any other. When a call is over, its row is done
 * or, after busy / no answer / powered off, waits for its retry. Pause, resume and cancel are state
 * changes in the store (the CLI makes them from another process); the next poll obeys them.
 */
import type { Clock, TimerHandle } from '../../clock/clock.js';
import type { SmartCallRequest } from '../../contract/smartCallRequest.js';
import type { Logger } from '../../observability/logger.js';
import type { CampaignRecord, CampaignRowRecord } from '../../store/records.js';
import type { Store } from '../../store/repositories.js';
import type { CallIdGenerator } from '../callId.js';
import { newQueuedCall } from '../newCall.js';
import { type CallingPolicy, classifyOutcome, retryDelay } from '../policy/callingPolicy.js';
import type { PolicyGate } from '../policy/policyGate.js';
import { type CampaignSettings, campaignPolicy } from './campaignSettings.js';

export interface CampaignRunnerOptions {
  store: Store;
  gate: PolicyGate;
  callIds: CallIdGenerator;
  /** Validates a row's SmartCall parameters as the SmartCall action does; throws with the reason. */
  buildRequest: (accountId: number, params: Record<string, string>) => SmartCallRequest;
  enqueue: (callId: string) => void;
  /** Drives the polling (real time); decisions take the gate's clock. */
  timers: Clock;
  log: Logger;
  pollMs?: number;
  /** Calls of one campaign queued or in progress at most (the dialer's queue stays short). */
  maxOutstanding?: number;
}

interface Loaded {
  record: CampaignRecord;
  settings: CampaignSettings;
  policy: CallingPolicy;
}

export class CampaignRunner {
  readonly #o: CampaignRunnerOptions;
  readonly #loaded = new Map<number, Loaded>();
  readonly #outstanding = new Map<number, number>();
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(options: CampaignRunnerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running = true;
    this.#schedule(0);
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#o.timers.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** The campaign layer of a campaign's calls (the dialer's window check). */
  policyOf(campaignId: number): CallingPolicy | undefined {
    return this.#load(campaignId)?.policy;
  }

  /** One round: every running campaign's due rows (tests and benches call it directly). */
  poll(): void {
    for (const record of this.#o.store.campaigns.listByState('running')) {
      try {
        this.#pollCampaign(record);
      } catch (err) {
        this.#o.log.error({ campaignId: record.id, err }, 'campaign round failed');
      }
    }
  }

  /** A call of a campaign is over: the row is done, or waits for its retry. */
  callEnded(callId: string): void {
    const { store, gate } = this.#o;
    const row = store.campaigns.rowByCall(callId);
    const call = store.calls.find(callId);
    if (!row || !call || row.state !== 'calling') return;
    this.#outstanding.set(row.campaignId, Math.max(0, (this.#outstanding.get(row.campaignId) ?? 1) - 1));
    const loaded = this.#load(row.campaignId);
    const outcome = classifyOutcome(call);
    const now = gate.now();
    const delay =
      loaded && loaded.record.state !== 'cancelled'
        ? retryDelay(loaded.policy.retry, outcome, row.attempts)
        : undefined;
    if (delay !== undefined && !gate.isBlocked(call.accountId, call.calledNumber)) {
      const reason = `retry ${row.attempts} after ${outcome}, in ${Math.round(delay / 1000)} s`;
      store.campaigns.updateRow(
        row.campaignId,
        row.rowNo,
        { state: 'waiting', outcome, nextAt: now + delay, reason },
        now,
      );
      store.policies.addDecision({ callId, at: now, decision: 'retry', detail: reason });
    } else {
      store.campaigns.updateRow(
        row.campaignId,
        row.rowNo,
        { state: 'done', outcome, reason: `attempt ${row.attempts}: ${outcome}` },
        now,
      );
    }
  }

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = this.#o.timers.setTimer(() => {
      this.#timer = undefined;
      this.poll();
      this.#schedule(this.#o.pollMs ?? 250);
    }, ms);
  }

  #load(id: number): Loaded | undefined {
    const record = this.#o.store.campaigns.find(id);
    if (!record) return undefined;
    const cached = this.#loaded.get(id);
    if (cached && cached.record.settings === record.settings) {
      cached.record = record;
      return cached;
    }
    const settings = JSON.parse(record.settings) as CampaignSettings;
    const loaded = { record, settings, policy: campaignPolicy(settings) };
    this.#loaded.set(id, loaded);
    return loaded;
  }

  #pollCampaign(record: CampaignRecord): void {
    const { store, gate } = this.#o;
    const now = gate.now();
    if (record.startAt > now) return;
    const loaded = this.#load(record.id)!;
    let outstanding = this.#outstanding.get(record.id);
    if (outstanding === undefined) outstanding = store.campaigns.countRows(record.id).calling ?? 0;
    const budget = (this.#o.maxOutstanding ?? 1000) - outstanding;
    if (budget > 0) {
      for (const row of store.campaigns.due(record.id, now, budget)) {
        if (this.#place(loaded, row, now)) outstanding++;
      }
    }
    this.#outstanding.set(record.id, outstanding);
    if (outstanding === 0 && store.campaigns.nextDueAt(record.id) === undefined) {
      const counts = store.campaigns.countRows(record.id);
      if (!counts.calling) {
        store.campaigns.setState(record.id, 'done', now);
        this.#o.log.info({ campaignId: record.id, counts }, 'campaign done');
      }
    }
  }

  /** One due row through the gate; true when a call was queued. */
  #place(c: Loaded, row: CampaignRowRecord, now: number): boolean {
    const { store, gate } = this.#o;
    const accountId = c.record.accountId;
    const decision = gate.decide({
      accountId,
      callee: row.calledNumber,
      kind: 'campaign',
      campaign: c.policy,
      campaignKey: `campaign ${c.record.id}`,
    });
    if (decision.verdict === 'refuse') {
      store.campaigns.updateRow(c.record.id, row.rowNo, { state: 'skipped', reason: decision.reason }, now);
      return false;
    }
    if (decision.verdict === 'wait') {
      store.campaigns.updateRow(
        c.record.id,
        row.rowNo,
        { state: 'waiting', nextAt: decision.until, reason: decision.reason },
        now,
      );
      return false;
    }
    const showNumber = decision.showNumber ?? c.settings.showNumbers[0]!;
    let request: SmartCallRequest;
    try {
      // A DialogId that names a dialog script runs it (SmartCall DialogId); else VoiceCode plays.
      const dialogId = c.settings.dialogId;
      const scripted = dialogId !== undefined && store.dialogScripts.find(accountId, dialogId) !== undefined;
      const params: Record<string, string> = {
        CalledShowNumber: showNumber,
        CalledNumber: row.calledNumber,
        ...(scripted ? { DialogId: dialogId } : { VoiceCode: c.settings.voiceCode }),
        VoiceCodeParam: JSON.stringify({
          ...c.settings.defaults,
          ...(JSON.parse(row.params) as Record<string, string>),
        }),
      };
      if (row.outId !== null) params.OutId = row.outId;
      if (c.settings.earlyMediaAsr) params.EarlyMediaAsr = 'true';
      if (c.settings.recordFlag) params.RecordFlag = 'true';
      request = { ...this.#o.buildRequest(accountId, params), campaignId: c.record.id };
      if (c.settings.dialogId !== undefined) request.dialogId = c.settings.dialogId;
    } catch (err) {
      store.campaigns.updateRow(
        c.record.id,
        row.rowNo,
        { state: 'skipped', reason: (err as Error).message },
        now,
      );
      return false;
    }
    const attempt = row.attempts + 1;
    let callId: string;
    let inserted: boolean;
    do {
      callId = this.#o.callIds.next(now);
      inserted = store.transaction(() => {
        if (
          !store.calls.insert(
            newQueuedCall({
              callId,
              accountId,
              calledNumber: row.calledNumber,
              calledShowNumber: showNumber,
              outId: row.outId,
              dynamicId: null,
              request: JSON.stringify(request),
              createdAt: Math.round(now),
            }),
          )
        ) {
          return false;
        }
        store.campaigns.updateRow(
          c.record.id,
          row.rowNo,
          { state: 'calling', attempts: attempt, lastCallId: callId, reason: `attempt ${attempt} placed` },
          now,
        );
        store.policies.addDecision({
          callId,
          at: now,
          decision: 'admitted',
          detail: `campaign ${c.record.id} line ${row.rowNo}, attempt ${attempt}${row.reason && row.state === 'waiting' ? ` (had waited: ${row.reason})` : ''}`,
        });
        for (const note of decision.notes)
          store.policies.addDecision({ callId, at: now, decision: 'caller-id', detail: note });
        return true;
      });
    } while (!inserted);
    gate.noteAttempt(accountId, row.calledNumber, now);
    this.#o.enqueue(callId);
    return true;
  }
}
