/** The trunks with their health: OPTIONS keep-alive (as this server has seen it), registration, calls now. */

import type { TrunkView } from '../../calls/trunkAdmin.js';
import type { TrunkHealth } from '../../calls/trunkMonitor.js';
import { formatChinaTime } from '../../contract/chinaTime.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../views/layout.js';
import type { ResourceText } from './resourceText.js';

export interface TrunkRow {
  trunk: TrunkView;
  health: TrunkHealth | undefined;
  inProgress: number;
}

const stateClass = (s: string) =>
  s === 'up' || s === 'registered' ? 'ended' : s === 'down' || s === 'failing' ? 'failed' : 'other';

export function trunksView(ctx: PageContext, r: ResourceText, rows: TrunkRow[]): string {
  return layout(
    ctx,
    r('trunks'),
    html`<h1>${r('trunks')}</h1>
<p class="muted">${r('healthNote')}</p>
${
  rows.length === 0
    ? html`<p class="empty">${r('noTrunks')}</p>`
    : html`<div class="table-wrap" tabindex="0" role="region" aria-label="${r('trunks')}"><table>
<caption class="sr-only">${r('trunks')}</caption>
<thead><tr><th scope="col">${r('name')}</th><th scope="col">${r('uri')}</th><th scope="col">${r('cps')}</th>
<th scope="col">${r('maxCalls')}</th><th scope="col">${r('inProgress')}</th><th scope="col">${r('keepAlive')}</th>
<th scope="col">${r('lastPing')}</th><th scope="col">${r('registration')}</th></tr></thead><tbody>
${rows.map(({ trunk: t, health: h, inProgress }) => {
  const reg = t.registration;
  return html`<tr>
<td>${t.name}${t.isDefault ? html` <span class="muted">(${r('default')})</span>` : ''}</td>
<td><code>${t.uri}</code></td><td>${t.cps}</td><td>${t.maxCalls}</td><td>${inProgress}</td>
<td>${
    t.optionsIntervalS <= 0
      ? html`<span class="muted">${r('off')}</span>`
      : html`<span class="state state-${stateClass(h?.state ?? 'unknown')}">${h?.state ?? 'unknown'}</span> <span class="muted">/${t.optionsIntervalS} s</span>`
  }</td>
<td>${h?.lastPingAt ? html`${formatChinaTime(h.lastPingAt)}<br><span class="muted">${h.lastResult ?? ''}</span>` : ''}</td>
<td>${
    reg
      ? html`<span class="state state-${stateClass(reg.state)}">${reg.state}</span>${
          reg.lastError ? html`<br><span class="muted">${reg.lastError}</span>` : ''
        }${reg.nextRefresh ? html`<br><span class="muted">→ ${formatChinaTime(Date.parse(reg.nextRefresh))}</span>` : ''}`
      : html`<span class="muted">${r('off')}</span>`
  }</td>
</tr>`;
})}
</tbody></table></div>`
}`,
  );
}
