/**
 * The robot-task family of Dyvmsapi, backed by campaigns (calls/campaigns): `BatchRobotSmartCall`
 * creates a task of up to 1000 numbers, `QueryRobotTaskDetail` and `QueryRobotTaskCallList` read it,
 * `StopRobotTask` pauses, `StartRobotTask` resumes, `CancelRobotTask` ends it. Every call of a task
 * passes the same policy gate and dialer as a SmartCall.
 *
 * `DialogId` names the dialog that runs each call: a dialog script of the account (`smartcall admin
 * dialog add`: the script answers every turn, no callback server), or else a TTS template (`TTS_…`)
 * or a voice file of the account, played as the opening prompt (its `$var$` / `${var}` values from
 * `TtsParam`), the conversation then going on through the account's callback.
 */
import { createCampaign } from '../../calls/campaigns/campaignCreation.js';
import type { CampaignInputRow, CampaignSettings } from '../../calls/campaigns/campaignSettings.js';
import { chinaTimeOrEmpty } from '../../contract/chinaTime.js';
import { isChineseMainlandNumber } from '../../contract/smartCallRequest.js';
import { isTtsTemplateId } from '../../media-library/mediaIds.js';
import type { CampaignRecord, CampaignRowState } from '../../store/records.js';
import type { Store } from '../../store/repositories.js';
import type { ActionContext, ActionHandler } from '../actionContext.js';
import { BusinessError, businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';

export interface RobotTaskDeps {
  store: Store;
  outIdMaxBytes: number;
  time: { now(): number };
}

const MAX_CALLEES = 1000;
const MAX_SHOW_NUMBERS = 100;

const STATUS: Record<CampaignRecord['state'], string> = {
  running: 'RUNNING',
  paused: 'STOP',
  cancelled: 'CANCEL',
  done: 'FINISH',
};

function list(text: string): string[] {
  return text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

function jsonParam<T>(text: string | undefined, name: string): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw businessErrors.invalidParameters(`${name} is not JSON`);
  }
}

/** TtsParamHead `["name","day"]` + TtsParam `[{"number":"139…","params":["王","周一"]}]` (number `all`: every row). */
function rowParams(head: string[] | undefined, rows: { number?: string; params?: unknown[] }[] | undefined) {
  const byNumber = new Map<string, Record<string, string>>();
  if (!head || !rows) return byNumber;
  if (!Array.isArray(head) || !Array.isArray(rows))
    throw businessErrors.invalidParameters('TtsParamHead and TtsParam must be JSON arrays');
  for (const r of rows) {
    if (typeof r?.number !== 'string' || !Array.isArray(r.params)) {
      throw businessErrors.invalidParameters('TtsParam items are {"number": "...", "params": [...]}');
    }
    const values: Record<string, string> = {};
    head.forEach((name, i) => {
      if (r.params![i] !== undefined) values[String(name)] = String(r.params![i]);
    });
    byNumber.set(r.number, values);
  }
  return byNumber;
}

function ownedCampaign(store: Store, ctx: ActionContext, id: number | undefined): CampaignRecord | undefined {
  if (id === undefined) return undefined;
  const c = store.campaigns.find(id);
  return c && c.accountId === ctx.account.id ? c : undefined;
}

function taskIdParam(r: ParamReader, name: string): number {
  r.requireAll([name]);
  return r.int64(name)!;
}

export function batchRobotSmartCallAction(deps: RobotTaskDeps): ActionHandler {
  return (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CalledShowNumber', 'CalledNumber', 'DialogId', 'TaskName']);
    const showNumbers = list(r.requiredString('CalledShowNumber'));
    const callees = list(r.requiredString('CalledNumber'));
    const dialogId = r.requiredString('DialogId').trim();
    const taskName = r.requiredString('TaskName');
    const corpName = r.string('CorpName');
    const earlyMediaAsr = r.boolean('EarlyMediaAsr') ?? false;
    const scheduleCall = r.boolean('ScheduleCall') ?? false;
    const scheduleTime = r.int64('ScheduleTime');
    r.boolean('IsSelfLine');
    const head = jsonParam<string[]>(r.string('TtsParamHead'), 'TtsParamHead');
    const ttsRows = jsonParam<{ number?: string; params?: unknown[] }[]>(r.string('TtsParam'), 'TtsParam');
    if (ctx.account.status !== 'active') throw businessErrors.outOfService();
    if (showNumbers.length === 0 || showNumbers.length > MAX_SHOW_NUMBERS) {
      throw businessErrors.invalidParameters(`CalledShowNumber lists 1 to ${MAX_SHOW_NUMBERS} numbers`);
    }
    for (const n of showNumbers) {
      if (deps.store.numbers.find(n)?.accountId !== ctx.account.id)
        throw businessErrors.displayNumberIllegal();
    }
    if (callees.length === 0 || callees.length > MAX_CALLEES) {
      throw new BusinessError('isv.VOICE_ROBOT_CALLEE_LIMIT', `被叫号码数量超限: 1 至 ${MAX_CALLEES} 个`);
    }
    if (callees.some((n) => !isChineseMainlandNumber(n))) throw businessErrors.mobileNumberIllegal();
    if ([...taskName].length > 30)
      throw businessErrors.invalidParameters('TaskName is at most 30 characters');
    if (scheduleCall && scheduleTime === undefined)
      throw businessErrors.invalidParameters('ScheduleCall needs ScheduleTime');
    const script = deps.store.dialogScripts.find(ctx.account.id, dialogId);
    const known =
      script ??
      (isTtsTemplateId(dialogId)
        ? deps.store.ttsTemplates.find(ctx.account.id, dialogId)
        : deps.store.voiceFiles.find(ctx.account.id, dialogId));
    if (!known)
      throw businessErrors.invalidParameters(
        `DialogId ${dialogId} names no dialog, TTS template or voice file of this account`,
      );
    const values = rowParams(head, ttsRows);
    const defaults = values.get('all');
    const rows: CampaignInputRow[] = callees.map((number, i) => ({
      line: i + 1,
      number,
      outId: null,
      params: values.get(number) ?? {},
    }));
    const settings: CampaignSettings = {
      // A dialog script opens with its own prompt; a template or voice file is the opening prompt.
      voiceCode: script ? '' : dialogId,
      dialogId,
      showNumbers,
      policy: {},
      ...(defaults && { defaults }),
      earlyMediaAsr,
      ...(corpName !== undefined && { corpName }),
    };
    const now = deps.time.now();
    const { id } = createCampaign(deps.store, {
      accountId: ctx.account.id,
      name: taskName,
      settings,
      rows,
      now,
      ...(scheduleCall && scheduleTime !== undefined && { startAt: scheduleTime }),
      outIdMaxBytes: deps.outIdMaxBytes,
    });
    ctx.log.info({ campaignId: id, numbers: rows.length }, 'robot task created');
    return { TaskId: String(id) };
  };
}

function taskDetail(c: CampaignRecord, counts: Record<string, number>): Record<string, unknown> {
  const s = JSON.parse(c.settings) as CampaignSettings;
  const retry = s.policy.retry ?? '';
  const m = /(\d+)x(\d+)m/.exec(retry);
  return {
    id: c.id,
    taskName: c.name,
    robotId: s.dialogId ?? s.voiceCode,
    robotName: s.dialogId ?? s.voiceCode,
    corpName: s.corpName ?? '',
    caller: s.showNumbers.join(','),
    numberStatusIdent: s.earlyMediaAsr ?? false,
    status: STATUS[c.state],
    scheduleType: c.startAt > c.createdAt ? 'ORDER' : 'SINGLE',
    retryType: retry ? 1 : 0,
    recallStateCodes: retry ? '200002,200003,200005,200010' : '',
    recallTimes: m ? Number(m[1]) : 0,
    recallInterval: m ? Number(m[2]) : 0,
    createTime: chinaTimeOrEmpty(c.createdAt),
    fireTime: chinaTimeOrEmpty(c.startAt),
    completeTime: chinaTimeOrEmpty(c.completedAt),
    total: c.total,
    progress: counts,
  };
}

export function queryRobotTaskDetailAction(deps: RobotTaskDeps): ActionHandler {
  return (params, ctx) => {
    const c = ownedCampaign(deps.store, ctx, taskIdParam(new ParamReader(params), 'Id'));
    if (!c) return {};
    return { Data: JSON.stringify(taskDetail(c, deps.store.campaigns.countRows(c.id))) };
  };
}

export function queryRobotTaskCallListAction(deps: RobotTaskDeps): ActionHandler {
  return (params, ctx) => {
    const r = new ParamReader(params);
    const c = ownedCampaign(deps.store, ctx, taskIdParam(r, 'TaskId'));
    const pageNo = Math.max(1, r.int32('PageNo') ?? 1);
    const pageSize = Math.min(100, Math.max(1, r.int32('PageSize') ?? 10));
    const called = r.string('Called');
    if (!c) return {};
    const filter = called === undefined ? {} : { number: called };
    const all = deps.store.campaigns.rows(c.id, filter);
    const page = all.slice((pageNo - 1) * pageSize, pageNo * pageSize);
    const list = page.map((row) => {
      const call = row.lastCallId ? deps.store.calls.find(row.lastCallId) : undefined;
      const duration =
        call?.answerAt != null && call.endAt != null ? Math.round((call.endAt - call.answerAt) / 1000) : 0;
      return {
        id: `${c.id}-${row.rowNo}`,
        called: row.calledNumber,
        caller: call?.calledShowNumber ?? '',
        callId: row.lastCallId ?? '',
        status: row.state.toUpperCase() as Uppercase<CampaignRowState>,
        callResult: call?.statusCode ?? '',
        outcome: row.outcome ?? '',
        reason: row.reason ?? '',
        attempts: row.attempts,
        startTime: chinaTimeOrEmpty(call?.answerAt),
        endTime: chinaTimeOrEmpty(call?.endAt),
        duration,
        hangupDirection: call?.hangupDirection ?? '',
      };
    });
    return { Data: JSON.stringify({ pageNo, pageSize, totalCount: all.length, list }) };
  };
}

function stateAction(
  deps: RobotTaskDeps,
  name: string,
  to: 'paused' | 'running' | 'cancelled',
): ActionHandler {
  return (params, ctx) => {
    const c = ownedCampaign(deps.store, ctx, taskIdParam(new ParamReader(params), 'TaskId'));
    if (!c) throw businessErrors.invalidParameters(`TaskId names no task of this account`);
    const now = deps.time.now();
    const ok = deps.store.transaction(() => {
      const changed = deps.store.campaigns.setState(c.id, to, now);
      if (changed && to === 'cancelled') deps.store.campaigns.cancelRows(c.id, now);
      return changed;
    });
    ctx.log.info({ campaignId: c.id, to, ok }, `${name}`);
    return { Data: ok };
  };
}

export function robotTaskActions(deps: RobotTaskDeps): Record<string, ActionHandler> {
  return {
    BatchRobotSmartCall: batchRobotSmartCallAction(deps),
    QueryRobotTaskDetail: queryRobotTaskDetailAction(deps),
    QueryRobotTaskCallList: queryRobotTaskCallListAction(deps),
    StopRobotTask: stateAction(deps, 'StopRobotTask', 'paused'),
    StartRobotTask: stateAction(deps, 'StartRobotTask', 'running'),
    CancelRobotTask: stateAction(deps, 'CancelRobotTask', 'cancelled'),
  };
}
