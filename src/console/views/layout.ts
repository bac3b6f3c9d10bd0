/**
 * The page shell every console screen shares: one stylesheet, htmx (links and forms swap the body
 * without a full reload, and still work without scripts), a skip link, the user and the language
 * switch. Every change is a POST carrying the CSRF token.
 */
import { type Html, html } from '../html.js';
import type { Lang, Translate } from '../i18n.js';

export interface PageContext {
  lang: Lang;
  t: Translate;
  /** The token changes must carry: the session's, or before login the login form's. */
  csrf: string;
  /** The signed-in user; absent on the login page. */
  user?: { name: string; role: string; account: string | null };
  /** The path (and query) of this page, where a language switch comes back to. */
  here: string;
}

export function layout(ctx: PageContext, title: string, main: Html): string {
  const { t } = ctx;
  const other: Lang = ctx.lang === 'zh' ? 'en' : 'zh';
  return html`<!doctype html>
<html lang="${ctx.lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>
<title>${title} · ${t('title')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/htmx.min.js" defer></script>
</head>
<body hx-boost="true">
<a class="skip" href="#main">${t('skip')}</a>
<header class="top">
  <a class="brand" href="/console/calls">${t('title')}</a>
  ${ctx.user ? html`<nav aria-label="${t('title')}"><a href="/console/calls">${t('calls')}</a> <a href="/console/live">${t('live')}</a> <a href="/console/playground">${t('playground')}</a>${resourceLinks(ctx)}</nav>` : ''}
  <div class="tools">
    <form method="post" action="/console/lang">
      <input type="hidden" name="_csrf" value="${ctx.csrf}">
      <input type="hidden" name="lang" value="${other}">
      <input type="hidden" name="back" value="${ctx.here}">
      <button type="submit" lang="${other === 'zh' ? 'zh-CN' : 'en'}" title="${t('switchLangLabel')}">${t('switchLang')}</button>
    </form>
    ${
      ctx.user
        ? html`<span class="who">${t('signedInAs')} <strong>${ctx.user.name}</strong> (${ctx.user.role}${
            ctx.user.account ? html` · ${ctx.user.account}` : ''
          })</span>
    <form method="post" action="/console/logout">
      <input type="hidden" name="_csrf" value="${ctx.csrf}">
      <button type="submit">${t('logout')}</button>
    </form>`
        : ''
    }
  </div>
</header>
<main id="main" tabindex="-1">
${main}
</main>
</body>
</html>
`.text;
}

/** The overview and resources screens' links (trunks serve every account: installation-wide users only). */
function resourceLinks(ctx: PageContext): Html {
  const { t } = ctx;
  return html`<a href="/console/overview">${t('overview')}</a><a href="/console/accounts">${t('accounts')}</a>${
    ctx.user?.account === null ? html`<a href="/console/trunks">${t('trunks')}</a>` : ''
  }`;
}

/** A short page with one message (403, 404, a bad request). */
export function messagePage(ctx: PageContext, heading: string, detail?: string): string {
  return layout(
    ctx,
    heading,
    html`<h1>${heading}</h1>${detail ? html`<p>${detail}</p>` : ''}<p><a href="/console/calls">${ctx.t('back')}</a></p>`,
  );
}
