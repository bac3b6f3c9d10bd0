/** The calls screen: the filter form, one page of calls newest first, links to the next page and CSV. */
import { formatChinaTime } from '../../contract/chinaTime.js';
import { CALL_STATES, type CallRecord } from '../../store/records.js';
import { encodeCursor, type FilterForm, filterQueryString } from '../callListQuery.js';
import { type Html, html } from '../html.js';
import { layout, type PageContext } from './layout.js';

export interface CallsViewModel {
  form: FilterForm;
  /** Account names the user may choose from; undefined: the user sees one account only. */
  accounts: string[] | undefined;
  accountName: (id: number) => string;
  calls: CallRecord[];
  hasMore: boolean;
  /** Whether this is a page after the first. */
  paged: boolean;
  error?: string;
}

export function talkTime(c: CallRecord): string {
  if (c.answerAt === null || c.endAt === null) return '';
  const s = Math.max(0, Math.round((c.endAt - c.answerAt) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export const detailHref = (callId: string) => `/console/calls/${encodeURIComponent(callId)}`;

function input(id: keyof FilterForm, label: string, form: FilterForm, type = 'text'): Html {
  return html`<div class="field"><label for="f-${id}">${label}</label><input id="f-${id}" name="${id}" type="${type}" value="${form[id] ?? ''}"></div>`;
}

function filterForm(ctx: PageContext, m: CallsViewModel): Html {
  const { t } = ctx;
  const f = m.form;
  return html`<form class="filters" method="get" action="/console/calls" role="search" aria-label="${t('filter')}">
${
  m.accounts
    ? html`<div class="field"><label for="f-account">${t('account')}</label><select id="f-account" name="account">
<option value="">${t('allAccounts')}</option>
${m.accounts.map((a) => html`<option value="${a}"${f.account === a ? html` selected` : ''}>${a}</option>`)}
</select></div>`
    : ''
}
${input('number', t('number'), f)}
${input('outId', t('outId'), f)}
${input('callId', t('callId'), f)}
<div class="field"><label for="f-state">${t('state')}</label><select id="f-state" name="state">
<option value="">${t('anyState')}</option>
${CALL_STATES.map((s) => html`<option value="${s}"${f.state === s ? html` selected` : ''}>${s}</option>`)}
</select></div>
${input('status', t('outcome'), f)}
${input('from', t('from'), f, 'datetime-local')}
${input('to', t('to'), f, 'datetime-local')}
<div class="actions"><button type="submit">${t('filter')}</button> <a href="/console/calls">${t('reset')}</a></div>
</form>`;
}

function row(c: CallRecord, m: CallsViewModel): Html {
  return html`<tr>
<td><a href="${detailHref(c.callId)}">${c.callId}</a></td>
<td>${m.accountName(c.accountId)}</td>
<td>${c.calledNumber}</td>
<td>${c.calledShowNumber}</td>
<td>${c.outId ?? ''}</td>
<td><span class="state state-${c.state}">${c.state}</span></td>
<td>${c.statusCode ?? ''}${c.statusMsg ? html` <span class="muted">${c.statusMsg}</span>` : ''}</td>
<td>${formatChinaTime(c.createdAt)}</td>
<td>${talkTime(c)}</td>
<td>${c.hangupDirection ?? ''}</td>
</tr>`;
}

export function callsView(ctx: PageContext, m: CallsViewModel): string {
  const { t } = ctx;
  const last = m.calls.at(-1);
  const table =
    m.calls.length === 0
      ? html`<p class="empty">${t('noCalls')}</p>`
      : html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t('callsTable')}"><table class="calls">
<caption class="sr-only">${t('callsTable')}</caption>
<thead><tr><th scope="col">${t('callId')}</th><th scope="col">${t('account')}</th><th scope="col">${t('number')}</th>
<th scope="col">${t('showNumber')}</th><th scope="col">${t('outId')}</th><th scope="col">${t('state')}</th>
<th scope="col">${t('outcome')}</th><th scope="col">${t('created')}</th><th scope="col">${t('duration')}</th>
<th scope="col">${t('hangup')}</th></tr></thead>
<tbody>
${m.calls.map((c) => row(c, m))}
</tbody></table></div>`;
  return layout(
    ctx,
    t('calls'),
    html`<h1>${t('calls')}</h1>
${filterForm(ctx, m)}
${m.error ? html`<p class="error" role="alert">${t('badFilter', { m: m.error })}</p>` : ''}
<p class="pager">
${m.paged ? html`<a href="/console/calls${filterQueryString(m.form)}">${t('newest')}</a>` : ''}
${m.hasMore && last ? html`<a href="/console/calls${filterQueryString(m.form, { after: encodeCursor(last) })}" rel="next">${t('older')}</a>` : ''}
<a href="/console/calls.csv${filterQueryString(m.form)}" hx-boost="false" download>${t('exportCsv')}</a>
</p>
${table}`,
  );
}
