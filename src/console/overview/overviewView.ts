/** The overview screen: the window form, the headline figures, and one chart per question. */
import { formatChinaTime } from '../../contract/chinaTime.js';
import { html } from '../html.js';
import type { ResourceText } from '../resources/resourceText.js';
import { layout, type PageContext } from '../views/layout.js';
import { type Overview, type OverviewQuery, type Percentiles, WINDOW_NAMES } from './overviewModel.js';
import { barChart, lineChart } from './svgCharts.js';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);

function latencyRow(r: ResourceText, id: string, label: string, p: Percentiles) {
  return html`<tr id="${id}"><th scope="row">${label}</th><td class="p50">${ms(p.p50)}</td><td class="p99">${ms(p.p99)}</td><td>${r('samples', { n: p.n })}</td></tr>`;
}

export function overviewView(
  ctx: PageContext,
  r: ResourceText,
  m: { query: OverviewQuery; accounts: string[] | undefined; overview?: Overview; error?: string },
): string {
  const f = m.query.form;
  const o = m.overview;
  const form = html`<form class="filters" method="get" action="/console/overview">
<div class="field"><label for="o-window">${r('window')}</label><select id="o-window" name="window">
${WINDOW_NAMES.map((w) => html`<option value="${w}"${f.window === w ? html` selected` : ''}>${w}</option>`)}
</select></div>
<div class="field"><label for="o-end">${r('endAt')}</label><input id="o-end" name="end" type="datetime-local" value="${f.end}"></div>
${
  m.accounts
    ? html`<div class="field"><label for="o-account">${r('account')}</label><select id="o-account" name="account">
<option value="">${ctx.t('allAccounts')}</option>
${m.accounts.map((a) => html`<option value="${a}"${f.account === a ? html` selected` : ''}>${a}</option>`)}
</select></div>`
    : ''
}
<div class="actions"><button type="submit">${r('show')}</button></div>
</form>`;
  if (!o)
    return layout(
      ctx,
      r('overview'),
      html`<h1>${r('overview')}</h1>${form}<p class="error" role="alert">${m.error ?? ''}</p>`,
    );
  const span = `${formatChinaTime(o.from)} – ${formatChinaTime(o.to)}`;
  const rate = o.totals.finished === 0 ? null : o.totals.answered / o.totals.finished;
  const cbRate = o.callbacks.count === 0 ? null : o.callbacks.failed / o.callbacks.count;
  return layout(
    ctx,
    r('overview'),
    html`<h1>${r('overview')}</h1>
${form}
<p class="muted">${span} (UTC+8)</p>
<dl class="figures">
<div><dt>${r('total')}</dt><dd id="fig-calls">${o.totals.calls}</dd></div>
<div><dt>${r('answered')}</dt><dd id="fig-answered">${o.totals.answered}</dd></div>
<div><dt>${r('answerRate')}</dt><dd id="fig-answer-rate">${pct(rate)}</dd></div>
<div><dt>${r('callbackErrors')}</dt><dd id="fig-callback-errors">${pct(cbRate)} <span class="muted">(${o.callbacks.failed}/${o.callbacks.count})</span></dd></div>
<div><dt>${r('pending')}</dt><dd id="fig-receipts-pending">${o.receipts.pending}</dd></div>
</dl>
<div class="charts">
<section aria-labelledby="h-cpm"><h2 id="h-cpm">${r('callsPerMin')}</h2>
${lineChart({ id: 'c-cpm', title: r('callsPerMin'), desc: `${o.totals.calls} ${r('total')}, ${span}; max ${Math.max(0, ...o.callsPerMinute)}/min`, series: [{ name: r('callsPerMin'), values: o.callsPerMinute }], from: o.from, to: o.to })}
</section>
<section aria-labelledby="h-answer"><h2 id="h-answer">${r('answerRate')}</h2>
${lineChart({ id: 'c-answer', title: r('answerRate'), desc: `${pct(rate)}`, series: [{ name: r('answerRate'), values: o.answerRate }], from: o.from, to: o.to, max: 1, percent: true })}
</section>
<section aria-labelledby="h-outcomes"><h2 id="h-outcomes">${r('outcomes')}</h2>
${
  o.outcomes.length === 0
    ? html`<p class="empty">${r('noData')}</p>`
    : html`${barChart({ id: 'c-outcomes', title: r('outcomes'), bars: o.outcomes.slice(0, 10).map((x) => ({ label: x.outcome, value: x.count })) })}
<table id="outcomes" class="compact"><caption class="sr-only">${r('outcomes')}</caption><thead><tr><th scope="col">${r('code')}</th><th scope="col">${r('count')}</th></tr></thead>
<tbody>${o.outcomes.map((x) => html`<tr><td>${x.outcome}</td><td>${x.count}</td></tr>`)}</tbody></table>`
}
</section>
<section aria-labelledby="h-latency"><h2 id="h-latency">${r('turnLatency')}</h2>
<table class="compact"><caption class="sr-only">${r('turnLatency')}</caption>
<thead><tr><th scope="col"></th><th scope="col">p50</th><th scope="col">p99</th><th scope="col">${r('count')}</th></tr></thead><tbody>
${latencyRow(r, 'lat-speech', r('speechToCallback'), o.speechToCallback)}
${latencyRow(r, 'lat-callback', r('callbackRoundTrip'), o.callbackRoundTrip)}
<tr id="lat-audio"><th scope="row">${r('replyToAudio')}</th><td colspan="3" class="muted">${r('notStored')}</td></tr>
</tbody></table>
</section>
<section aria-labelledby="h-cberr"><h2 id="h-cberr">${r('callbackErrors')}</h2>
${lineChart({ id: 'c-cberr', title: r('callbackErrors'), desc: `${pct(cbRate)}`, series: [{ name: r('callbackErrors'), values: o.callbackErrorRate }], from: o.from, to: o.to, max: 1, percent: true })}
</section>
${o.trunks.map(
  (
    t,
    i,
  ) => html`<section aria-labelledby="h-trunk-${i}"><h2 id="h-trunk-${i}">${r('trunkLoad')}: ${t.name}</h2>
<p class="muted">${r('inProgress')}: <span class="trunk-now">${t.inProgress}</span>${t.maxCalls !== undefined ? html` / ${t.maxCalls}` : ''}</p>
${lineChart({
  id: `c-cps-${i}`,
  title: `${t.name} ${r('peakCps')}`,
  desc: `${r('peakCps')} ${Math.max(0, ...t.peakCps)}${t.cpsLimit !== undefined ? `, ${r('limit')} ${t.cpsLimit}` : ''}`,
  series: [
    { name: r('peakCps'), values: t.peakCps },
    { name: r('meanConcurrent'), values: t.meanConcurrent },
  ],
  from: o.from,
  to: o.to,
  limit: t.cpsLimit,
})}
</section>`,
)}
<section aria-labelledby="h-receipts"><h2 id="h-receipts">${r('receiptBacklog')}</h2>
<dl class="fields"><dt>${r('pending')}</dt><dd>${o.receipts.pending}</dd>
<dt>${r('oldestPending')}</dt><dd>${o.receipts.oldestPendingAt === null ? '–' : formatChinaTime(o.receipts.oldestPendingAt)}</dd>
<dt>${r('abandoned')}</dt><dd id="fig-receipts-abandoned">${o.receipts.abandoned}</dd></dl>
</section>
</div>`,
  );
}
