/**
 * The live screen: an empty list that live.js fills from the event stream (one card per call in
 * progress, its transcript growing underneath). Without scripts it says so and points to the calls list.
 */
import { html } from '../html.js';
import { layout, type PageContext } from './layout.js';

export function liveView(ctx: PageContext, m: { callId: string | undefined }): string {
  const { t } = ctx;
  const src = `/console/live/events${m.callId === undefined ? '' : `?call=${encodeURIComponent(m.callId)}`}`;
  const title = m.callId === undefined ? t('live') : t('liveCall', { id: m.callId });
  return layout(
    ctx,
    title,
    html`<script src="/console/assets/live.js" defer></script>
<h1>${title}</h1>
<p class="muted">${m.callId === undefined ? t('liveNote') : html`<a href="/console/live">${t('liveAll')}</a>`}</p>
<noscript><p>${t('liveNoScript')}</p></noscript>
<p id="live-status" role="status" data-connecting="${t('liveConnecting')}" data-connected="${t('liveConnected')}" data-lost="${t('liveLost')}" data-done="${t('liveDone')}"></p>
<div id="live" data-src="${src}" data-empty="${t('liveEmpty')}" data-details="${t('liveDetails')}" data-ended="${t('ev.ended')}" aria-live="polite" aria-relevant="additions"></div>`,
  );
}
