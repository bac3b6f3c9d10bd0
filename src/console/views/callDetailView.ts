/** Call detail: its fields, one timeline, the callback exchanges, the receipts and the recording. */
import { formatChinaTime } from '../../contract/chinaTime.js';
import type { CallbackExchangeRecord, CallRecord, ReceiptRecord } from '../../store/records.js';
import { type TimelineEntry, wordsOf } from '../callTimeline.js';
import { type Html, html } from '../html.js';
import { talkTime } from './callsView.js';
import { layout, type PageContext } from './layout.js';

export interface CallDetailModel {
  call: CallRecord;
  accountName: string;
  timeline: TimelineEntry[];
  exchanges: CallbackExchangeRecord[];
  receipts: ReceiptRecord[];
  /** The recording's URL when the file is still kept; 'gone' when it was recorded but removed. */
  recording: string | 'gone' | undefined;
}

const time = (ms: number | null) => (ms === null ? '' : formatChinaTime(ms));

function offset(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  return `${sign}${(Math.abs(ms) / 1000).toFixed(3)} s`;
}

function fields(ctx: PageContext, m: CallDetailModel): Html {
  const { t } = ctx;
  const c = m.call;
  const rows: [string, string][] = [
    [t('callId'), c.callId],
    [t('account'), m.accountName],
    [t('number'), c.calledNumber],
    [t('showNumber'), c.calledShowNumber],
    [t('outId'), c.outId ?? ''],
    ['DynamicId', c.dynamicId ?? ''],
    [t('state'), c.state],
    [t('status'), [c.statusCode, c.statusMsg].filter(Boolean).join(' ')],
    ['SmartStatusCode', c.smartStatusCode ?? ''],
    [t('hangup'), c.hangupDirection ?? ''],
    [t('created'), time(c.createdAt)],
    [t('duration'), talkTime(c)],
    [t('trunk'), c.trunk ?? ''],
    [t('sip'), c.sipStatus === null ? '' : `${c.sipStatus} ${c.sipReason ?? ''}`],
    [t('dtmf'), c.dtmf ?? ''],
    [t('earlyMedia'), c.earlyMediaCode ?? ''],
  ];
  return html`<dl class="fields">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v || '—'}</dd>`)}</dl>`;
}

function timeline(ctx: PageContext, m: CallDetailModel): Html {
  const { t } = ctx;
  return html`<p class="muted">${t('timelineNote')}</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="${t('timeline')}"><table class="timeline">
<thead><tr><th scope="col">${t('time')}</th><th scope="col">${t('offset')}</th><th scope="col">${t('event')}</th><th scope="col">${t('what')}</th></tr></thead>
<tbody>${m.timeline.map(
    (e) =>
      html`<tr class="ev ${e.kind.replace('.', '-')}"${seekAttr(m, e.at)}><td>${time(e.at)}</td><td>${offset(e.at - m.call.createdAt)}${seekButton(ctx, m, e.at)}</td><td>${t(e.kind)}</td><td>${e.detail}</td></tr>`,
  )}</tbody></table></div>`;
}

/** Seconds into the recording of an instant of the call, when the recording covers it. */
function intoRecording(m: CallDetailModel, at: number): number | undefined {
  const begin = m.call.recordBeginAt;
  if (typeof m.recording !== 'string' || m.recording === 'gone' || begin === null || at < begin)
    return undefined;
  if (m.call.endAt !== null && at > m.call.endAt) return undefined;
  return (at - begin) / 1000;
}

function seekAttr(m: CallDetailModel, at: number): Html | string {
  const s = intoRecording(m, at);
  return s === undefined ? '' : html` data-rec="${s.toFixed(3)}"`;
}

/** Plays the recording from this entry (waveform.js wires it; without scripts it stays inert). */
function seekButton(ctx: PageContext, m: CallDetailModel, at: number): Html | string {
  const s = intoRecording(m, at);
  if (s === undefined) return '';
  return html` <button type="button" class="seek" data-seek="${s.toFixed(3)}" title="${ctx.t('seekHere')}" aria-label="${ctx.t('seekTo', { s: s.toFixed(1) })}">▶</button>`;
}

function exchanges(ctx: PageContext, m: CallDetailModel): Html {
  const { t } = ctx;
  if (m.exchanges.length === 0) return html`<p>${t('none')}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t('callbacks')}"><table class="exchanges">
<thead><tr><th scope="col">${t('time')}</th><th scope="col">${t('type')}</th><th scope="col">${t('what')}</th><th scope="col">${t('result')}</th>
<th scope="col">${t('latency')}</th><th scope="col">${t('action')}</th><th scope="col">${t('reply')}</th></tr></thead>
<tbody>${m.exchanges.map(
    (x) => html`<tr><td>${time(x.createdAt)}</td><td>${x.contentType}</td><td>${wordsOf(x.content) ?? ''}</td>
<td>${x.outcome}${x.httpStatus !== null ? ` (HTTP ${x.httpStatus})` : ''}${x.detail ? html`<br><span class="muted">${x.detail}</span>` : ''}</td>
<td>${x.latencyMs} ms</td><td>${x.action ?? ''}</td>
<td><details><summary>JSON</summary><pre>${x.content}</pre>${x.reply ? html`<pre>${x.reply}</pre>` : ''}</details></td></tr>`,
  )}</tbody></table></div>`;
}

function receipts(ctx: PageContext, m: CallDetailModel): Html {
  const { t } = ctx;
  if (m.receipts.length === 0) return html`<p>${t('none')}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t('receipts')}"><table class="receipts">
<thead><tr><th scope="col">${t('time')}</th><th scope="col">${t('type')}</th><th scope="col">${t('state')}</th><th scope="col">${t('attempts')}</th>
<th scope="col">${t('delivered')}</th><th scope="col">${t('lastError')}</th></tr></thead>
<tbody>${m.receipts.map(
    (r) => html`<tr><td>${time(r.createdAt)}</td><td>${r.type}</td><td>${r.state}</td><td>${r.attempts}</td>
<td>${time(r.deliveredAt)}</td><td>${r.lastError ?? ''}</td></tr>`,
  )}</tbody></table></div>`;
}

function recording(ctx: PageContext, m: CallDetailModel): Html {
  const { t } = ctx;
  if (m.recording === undefined) return html`<p>${t('noRecording')}</p>`;
  if (m.recording === 'gone') return html`<p>${t('recordingGone')}</p>`;
  return html`<figure class="waveform">
<canvas id="waveform" width="1200" height="160" data-src="${m.recording.replace(/\/recording$/, '/waveform')}" role="img" aria-label="${t('waveform')}"></canvas>
<figcaption class="muted"><span class="legend callee">${t('calleeChannel')}</span> <span class="legend platform">${t('platformChannel')}</span> <span id="waveform-status" role="status"></span></figcaption>
</figure>
<audio controls preload="metadata" src="${m.recording}" id="player" aria-label="${t('recording')}"></audio>
<p><a href="${m.recording}" hx-boost="false" download>${m.call.callId}.wav</a></p>`;
}

export function callDetailView(ctx: PageContext, m: CallDetailModel): string {
  const { t } = ctx;
  return layout(
    ctx,
    t('detail', { id: m.call.callId }),
    html`<script src="/console/assets/waveform.js" defer></script>
<p><a href="/console/calls">← ${t('back')}</a></p>
<h1>${t('detail', { id: m.call.callId })}</h1>
<section aria-labelledby="h-fields"><h2 id="h-fields">${t('fields')}</h2>${fields(ctx, m)}</section>
<section aria-labelledby="h-rec"><h2 id="h-rec">${t('recording')}</h2>${recording(ctx, m)}</section>
<section aria-labelledby="h-tl"><h2 id="h-tl">${t('timeline')}</h2>${timeline(ctx, m)}</section>
<section aria-labelledby="h-cb"><h2 id="h-cb">${t('callbacks')}</h2>${exchanges(ctx, m)}</section>
<section aria-labelledby="h-rc"><h2 id="h-rc">${t('receipts')}</h2>${receipts(ctx, m)}</section>
<section aria-labelledby="h-req"><h2 id="h-req">${t('request')}</h2><details><summary>JSON</summary><pre>${prettyJson(m.call.request)}</pre></details></section>`,
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
