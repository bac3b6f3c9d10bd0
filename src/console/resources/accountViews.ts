/** The accounts list and one account's page: AccessKeys, display numbers, callback and receipt settings. */
import { formatChinaTime } from '../../contract/chinaTime.js';
import {
  type AccessKeyRecord,
  type AccountRecord,
  type DisplayNumberRecord,
  RECEIPT_TYPES,
} from '../../store/records.js';
import { type Html, html } from '../html.js';
import { layout, type PageContext } from '../views/layout.js';
import type { ResourceText } from './resourceText.js';

export const accountHref = (name: string, sub = '') => `/console/accounts/${encodeURIComponent(name)}${sub}`;

export const csrfField = (ctx: PageContext) => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;

export interface Notice {
  ok?: string;
  error?: string;
}

export function notices(r: ResourceText, n: Notice | undefined): Html {
  if (!n) return html``;
  return html`${n.ok ? html`<p class="notice" role="status">${n.ok}</p>` : ''}${
    n.error ? html`<p class="error" role="alert">${r('error', { m: n.error })}</p>` : ''
  }`;
}

/** The tabs of one account's pages. */
export function accountTabs(r: ResourceText, name: string, current: string): Html {
  const tabs: [string, string][] = [
    ['', r('settings')],
    ['/voices', r('voices')],
    ['/asr-models', r('asrModels')],
    ['/tts-templates', r('ttsTemplates')],
  ];
  return html`<nav class="tabs" aria-label="${r('account')} ${name}">${tabs.map(
    ([sub, label]) =>
      html`<a href="${accountHref(name, sub)}"${sub === current ? html` aria-current="page"` : ''}>${label}</a>`,
  )}</nav>`;
}

export function accountsView(
  ctx: PageContext,
  r: ResourceText,
  m: {
    accounts: AccountRecord[];
    admin: boolean;
    global: boolean;
    notice?: Notice;
    form?: { name: string; qps: string };
  },
): string {
  const canCreate = m.admin && m.global;
  return layout(
    ctx,
    r('accounts'),
    html`<h1>${r('accounts')}</h1>
${notices(r, m.notice)}
${!m.admin ? html`<p class="muted">${r('readOnly')}</p>` : ''}
<div class="table-wrap"><table>
<caption class="sr-only">${r('accounts')}</caption>
<thead><tr><th scope="col">${r('name')}</th><th scope="col">${r('status')}</th><th scope="col">${r('qps')}</th>
<th scope="col">${r('created')}</th>${m.admin ? html`<th scope="col">${r('actions')}</th>` : ''}</tr></thead>
<tbody>
${m.accounts.map(
  (a) => html`<tr>
<td><a href="${accountHref(a.name)}">${a.name}</a></td>
<td><span class="state state-${a.status === 'active' ? 'ended' : 'failed'}">${a.status}</span></td>
<td>${a.qps ?? r('qpsDefault')}</td>
<td>${formatChinaTime(a.createdAt)}</td>
${
  m.admin
    ? html`<td>${
        m.global
          ? html`<form method="post" action="${accountHref(a.name, '/status')}" class="inline">${csrfField(ctx)}
<input type="hidden" name="status" value="${a.status === 'active' ? 'disabled' : 'active'}">
<button type="submit" class="secondary">${a.status === 'active' ? r('disable') : r('enable')} <span class="sr-only">${a.name}</span></button></form>`
          : ''
      }</td>`
    : ''
}
</tr>`,
)}
</tbody></table></div>
${
  canCreate
    ? html`<h2>${r('createAccount')}</h2>
<form method="post" action="/console/accounts" class="filters">${csrfField(ctx)}
<div class="field"><label for="a-name">${r('name')}</label><input id="a-name" name="name" required value="${m.form?.name ?? ''}"></div>
<div class="field"><label for="a-qps">${r('qps')}</label><input id="a-qps" name="qps" inputmode="numeric" value="${m.form?.qps ?? ''}"></div>
<div class="actions"><button type="submit">${r('createAccount')}</button></div>
</form>`
    : ''
}`,
  );
}

export interface NewKey {
  accessKeyId: string;
  accessKeySecret: string;
}

export interface CallbackTestView {
  ok: boolean;
  status?: number | undefined;
  latencyMs: number;
  failure?: string;
  detail?: string;
  body?: string | undefined;
}

export interface AccountViewModel {
  account: AccountRecord;
  keys: Omit<AccessKeyRecord, 'secretEnc'>[];
  numbers: DisplayNumberRecord[];
  admin: boolean;
  newKey?: NewKey;
  test?: CallbackTestView | 'no-url';
  notice?: Notice;
}

function keysSection(ctx: PageContext, r: ResourceText, m: AccountViewModel): Html {
  const name = m.account.name;
  return html`<section aria-labelledby="h-keys"><h2 id="h-keys">${r('accessKeys')}</h2>
${
  m.newKey
    ? html`<div class="once" role="alert"><p><strong>${r('newKey')}</strong></p>
<dl class="fields"><dt>${r('accessKeyId')}</dt><dd><code id="new-key-id">${m.newKey.accessKeyId}</code></dd>
<dt>${r('secret')}</dt><dd><code id="new-key-secret">${m.newKey.accessKeySecret}</code></dd></dl>
<p>${r('newKeyOnce')}</p></div>`
    : ''
}
${
  m.keys.length === 0
    ? html`<p class="empty">${r('noKeys')}</p>`
    : html`<div class="table-wrap"><table>
<caption class="sr-only">${r('accessKeys')}</caption>
<thead><tr><th scope="col">${r('accessKeyId')}</th><th scope="col">${r('status')}</th><th scope="col">${r('created')}</th>${
        m.admin ? html`<th scope="col">${r('actions')}</th>` : ''
      }</tr></thead><tbody>
${m.keys.map(
  (k) =>
    html`<tr><td><code>${k.accessKeyId}</code></td><td>${k.status}</td><td>${formatChinaTime(k.createdAt)}</td>${
      m.admin
        ? html`<td class="row-actions"><form method="post" action="${accountHref(name, `/keys/${encodeURIComponent(k.accessKeyId)}/status`)}" class="inline">${csrfField(ctx)}
<input type="hidden" name="status" value="${k.status === 'active' ? 'disabled' : 'active'}">
<button type="submit" class="secondary">${k.status === 'active' ? r('disable') : r('enable')} <span class="sr-only">${k.accessKeyId}</span></button></form>
<form method="post" action="${accountHref(name, `/keys/${encodeURIComponent(k.accessKeyId)}/delete`)}" class="inline">${csrfField(ctx)}
<button type="submit" class="danger">${r('remove')} <span class="sr-only">${k.accessKeyId}</span></button></form></td>`
        : ''
    }</tr>`,
)}
</tbody></table></div>`
}
${
  m.admin
    ? html`<form method="post" action="${accountHref(name, '/keys')}">${csrfField(ctx)}<button type="submit" id="create-key">${r('createKey')}</button></form>`
    : ''
}
</section>`;
}

function numbersSection(ctx: PageContext, r: ResourceText, m: AccountViewModel): Html {
  const name = m.account.name;
  return html`<section aria-labelledby="h-numbers"><h2 id="h-numbers">${r('numbers')}</h2>
${
  m.numbers.length === 0
    ? html`<p class="empty">${r('noNumbers')}</p>`
    : html`<div class="table-wrap"><table>
<caption class="sr-only">${r('numbers')}</caption>
<thead><tr><th scope="col">${r('number')}</th><th scope="col">${r('inbound')}</th><th scope="col">${r('created')}</th>${
        m.admin ? html`<th scope="col">${r('actions')}</th>` : ''
      }</tr></thead><tbody>
${m.numbers.map(
  (n) =>
    html`<tr><td>${n.number}</td><td>${n.inbound ? '✓' : ''}</td><td>${formatChinaTime(n.createdAt)}</td>${
      m.admin
        ? html`<td><form method="post" action="${accountHref(name, '/numbers/remove')}" class="inline">${csrfField(ctx)}
<input type="hidden" name="number" value="${n.number}"><button type="submit" class="danger">${r('remove')} <span class="sr-only">${n.number}</span></button></form></td>`
        : ''
    }</tr>`,
)}
</tbody></table></div>`
}
${
  m.admin
    ? html`<form method="post" action="${accountHref(name, '/numbers')}" class="filters">${csrfField(ctx)}
<div class="field"><label for="n-number">${r('number')}</label><input id="n-number" name="number" required inputmode="tel"></div>
<div class="field check"><input id="n-inbound" name="inbound" type="checkbox" value="1"><label for="n-inbound">${r('inbound')}</label></div>
<div class="actions"><button type="submit">${r('add')}</button></div></form>`
    : ''
}
</section>`;
}

function testResult(r: ResourceText, t: CallbackTestView | 'no-url' | undefined): Html {
  if (t === undefined) return html``;
  if (t === 'no-url') return html`<p class="error" role="alert" id="callback-test">${r('testNoUrl')}</p>`;
  const ms = Math.round(t.latencyMs);
  return html`<div id="callback-test" role="status" class="${t.ok ? 'notice' : 'error'}">
<p><strong>${r('testResult')}:</strong> ${
    t.ok
      ? r('testOk', { status: t.status ?? '', ms })
      : r('testFailed', { failure: t.failure ?? '', detail: t.detail ?? '', ms })
  }</p>
${t.body ? html`<p>${r('replyBody')}:</p><pre>${t.body.slice(0, 2000)}</pre>` : ''}
</div>`;
}

function callbackSection(ctx: PageContext, r: ResourceText, m: AccountViewModel): Html {
  const cb = m.account.callback;
  const name = m.account.name;
  const dis = m.admin ? '' : html` disabled`;
  return html`<section aria-labelledby="h-callback"><h2 id="h-callback">${r('callback')}</h2>
${testResult(r, m.test)}
<form method="post" action="${accountHref(name, '/callback')}" class="settings">${csrfField(ctx)}
<div class="field"><label for="cb-url">${r('callbackUrl')}</label><input id="cb-url" name="url" type="url" size="50" value="${cb.url ?? ''}"${dis}></div>
<div class="field"><label for="cb-timeout">${r('timeoutMs')}</label><input id="cb-timeout" name="timeoutMs" inputmode="numeric" value="${cb.timeoutMs}"${dis}></div>
<div class="field"><label for="cb-mode">${r('bodyMode')}</label><select id="cb-mode" name="bodyMode"${dis}>
<option value="query"${cb.bodyMode === 'query' ? html` selected` : ''}>${r('bodyQuery')}</option>
<option value="form"${cb.bodyMode === 'form' ? html` selected` : ''}>${r('bodyForm')}</option></select></div>
<div class="field"><label for="cb-unrec">${r('unrecognized')}</label><select id="cb-unrec" name="unrecognized"${dis}>
<option value="callback"${cb.unrecognized === 'callback' ? html` selected` : ''}>${r('unrecCallback')}</option>
<option value="silent"${cb.unrecognized === 'silent' ? html` selected` : ''}>${r('unrecSilent')}</option></select></div>
<div class="field wide"><label for="cb-fallback">${r('fallbackReply')}</label><textarea id="cb-fallback" name="fallbackReply" rows="3" cols="60"${dis}>${cb.fallbackReply ?? ''}</textarea></div>
<p class="muted">${cb.signingSecretEnc ? r('signingSet') : r('signingUnset')}</p>
${
  m.admin
    ? html`<div class="field"><label for="cb-secret">${r('signingSecret')}</label><input id="cb-secret" name="signingSecret" type="password" autocomplete="off"></div>
${cb.signingSecretEnc ? html`<div class="field check"><input id="cb-nosecret" name="removeSecret" type="checkbox" value="1"><label for="cb-nosecret">${r('removeSecret')}</label></div>` : ''}
<div class="actions"><button type="submit">${r('save')}</button></div>`
    : ''
}
</form>
${
  m.admin
    ? html`<form method="post" action="${accountHref(name, '/callback/test')}">${csrfField(ctx)}<button type="submit" class="secondary" id="test-callback">${r('testCallback')}</button></form>`
    : ''
}
</section>`;
}

function receiptsSection(ctx: PageContext, r: ResourceText, m: AccountViewModel): Html {
  const rc = m.account.receipts;
  const name = m.account.name;
  const dis = m.admin ? '' : html` disabled`;
  return html`<section aria-labelledby="h-receipts"><h2 id="h-receipts">${r('receipts')}</h2>
<form method="post" action="${accountHref(name, '/receipts')}" class="settings">${csrfField(ctx)}
<div class="field"><label for="rc-url">${r('receiptUrl')}</label><input id="rc-url" name="url" type="url" size="50" value="${rc.url ?? ''}"${dis}></div>
<fieldset${dis}><legend>${r('receiptTypes')}</legend>
${RECEIPT_TYPES.map(
  (t) =>
    html`<span class="check"><input id="rc-t-${t}" type="checkbox" name="types" value="${t}"${rc.types.includes(t) ? html` checked` : ''}><label for="rc-t-${t}">${t}</label></span> `,
)}
</fieldset>
${RECEIPT_TYPES.map(
  (t) =>
    html`<div class="field"><label for="rc-u-${t}">${r('typeUrl', { type: t })}</label><input id="rc-u-${t}" name="url.${t}" type="url" size="50" value="${rc.typeUrls[t] ?? ''}"${dis}></div>`,
)}
${m.admin ? html`<div class="actions"><button type="submit">${r('save')}</button></div>` : ''}
</form></section>`;
}

export function accountView(ctx: PageContext, r: ResourceText, m: AccountViewModel): string {
  const a = m.account;
  return layout(
    ctx,
    `${r('account')} ${a.name}`,
    html`<p><a href="/console/accounts">${r('accounts')}</a></p>
<h1>${r('account')} ${a.name}</h1>
${accountTabs(r, a.name, '')}
${notices(r, m.notice)}
${!m.admin ? html`<p class="muted">${r('readOnly')}</p>` : ''}
<dl class="fields"><dt>${r('status')}</dt><dd>${a.status}</dd><dt>${r('qps')}</dt><dd>${a.qps ?? r('qpsDefault')}</dd>
<dt>${r('created')}</dt><dd>${formatChinaTime(a.createdAt)}</dd></dl>
${keysSection(ctx, r, m)}
${numbersSection(ctx, r, m)}
${callbackSection(ctx, r, m)}
${receiptsSection(ctx, r, m)}`,
  );
}
