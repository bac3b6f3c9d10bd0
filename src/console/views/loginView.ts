import { html } from '../html.js';
import { layout, type PageContext } from './layout.js';

export function loginView(
  ctx: PageContext,
  options: { name?: string; error?: string; next?: string },
): string {
  const { t } = ctx;
  return layout(
    ctx,
    t('login'),
    html`<section class="login">
<h1>${t('loginTitle')}</h1>
${options.error ? html`<p class="error" role="alert" id="login-error">${options.error}</p>` : ''}
<form method="post" action="/console/login" hx-boost="false">
  <input type="hidden" name="_csrf" value="${ctx.csrf}">
  ${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : ''}
  <label for="name">${t('name')}</label>
  <input id="name" name="name" autocomplete="username" required autofocus value="${options.name ?? ''}"${
    options.error ? html` aria-describedby="login-error"` : ''
  }>
  <label for="password">${t('password')}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">${t('login')}</button>
</form>
</section>`,
  );
}
