/** An account's media library: voice files (upload, play), ASR phrase models (edit, try a WAV), TTS templates. */
import { formatChinaTime } from '../../contract/chinaTime.js';
import { phraseCount } from '../../media-library/asrModels.js';
import { templateVariables } from '../../media-library/ttsTemplates.js';
import type { PhraseTrialResult } from '../../speech/phrase/phraseTrial.js';
import type { AsrModelRecord, TtsTemplateRecord, VoiceFileRecord } from '../../store/records.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../views/layout.js';
import { accountHref, accountTabs, csrfField, type Notice, notices } from './accountViews.js';
import type { ResourceText } from './resourceText.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const voiceAudioHref = (account: string, id: string) =>
  accountHref(account, `/voices/${encodeURIComponent(id)}/audio`);

function page(
  ctx: PageContext,
  r: ResourceText,
  account: string,
  tab: string,
  title: string,
  body: ReturnType<typeof html>,
) {
  return layout(
    ctx,
    `${title} · ${account}`,
    html`<p><a href="/console/accounts">${r('accounts')}</a> › <a href="${accountHref(account)}">${account}</a></p>
<h1>${title}</h1>
${accountTabs(r, account, tab)}
${body}`,
  );
}

export function voicesView(
  ctx: PageContext,
  r: ResourceText,
  m: { account: string; voices: VoiceFileRecord[]; admin: boolean; notice?: Notice },
): string {
  return page(
    ctx,
    r,
    m.account,
    '/voices',
    r('voices'),
    html`${notices(r, m.notice)}${!m.admin ? html`<p class="muted">${r('readOnly')}</p>` : ''}
${
  m.voices.length === 0
    ? html`<p class="empty">${r('noVoices')}</p>`
    : html`<div class="table-wrap"><table>
<caption class="sr-only">${r('voices')}</caption>
<thead><tr><th scope="col">${r('voiceId')}</th><th scope="col">${r('name')}</th><th scope="col">${r('duration')}</th>
<th scope="col">${r('created')}</th><th scope="col">${r('play')}</th></tr></thead><tbody>
${m.voices.map(
  (
    v,
  ) => html`<tr><td><code>${v.id}</code></td><td>${v.name}</td><td>${seconds(v.durationMs)}</td><td>${formatChinaTime(v.createdAt)}</td>
<td><audio controls preload="none" src="${voiceAudioHref(m.account, v.id)}" aria-label="${r('play')} ${v.name}"></audio></td></tr>`,
)}
</tbody></table></div>`
}
${
  m.admin
    ? html`<h2>${r('upload')}</h2>
<form method="post" action="${accountHref(m.account, '/voices')}" enctype="multipart/form-data" hx-boost="false" class="filters">${csrfField(ctx)}
<div class="field"><label for="v-file">${r('wavFile')}</label><input id="v-file" name="file" type="file" accept=".wav,audio/wav" required></div>
<div class="field"><label for="v-name">${r('name')}</label><input id="v-name" name="name"></div>
<div class="field"><label for="v-id">${r('optionalId')}</label><input id="v-id" name="id"></div>
<div class="actions"><button type="submit">${r('upload')}</button></div></form>`
    : ''
}`,
  );
}

export function asrModelsView(
  ctx: PageContext,
  r: ResourceText,
  m: {
    account: string;
    models: AsrModelRecord[];
    admin: boolean;
    notice?: Notice;
    form?: { name: string; phrases: string; id: string };
  },
): string {
  return page(
    ctx,
    r,
    m.account,
    '/asr-models',
    r('asrModels'),
    html`${notices(r, m.notice)}${!m.admin ? html`<p class="muted">${r('readOnly')}</p>` : ''}
${
  m.models.length === 0
    ? html`<p class="empty">${r('noModels')}</p>`
    : html`<div class="table-wrap"><table>
<caption class="sr-only">${r('asrModels')}</caption>
<thead><tr><th scope="col">${r('modelId')}</th><th scope="col">${r('name')}</th><th scope="col">${r('phraseCount')}</th>
<th scope="col">${r('created')}</th></tr></thead><tbody>
${m.models.map(
  (
    x,
  ) => html`<tr><td><a href="${accountHref(m.account, `/asr-models/${encodeURIComponent(x.id)}`)}"><code>${x.id}</code></a></td>
<td>${x.name}</td><td>${phraseCount(x.phrases)}</td><td>${formatChinaTime(x.createdAt)}</td></tr>`,
)}
</tbody></table></div>`
}
${
  m.admin
    ? html`<h2>${r('createModel')}</h2>
<form method="post" action="${accountHref(m.account, '/asr-models')}" class="settings">${csrfField(ctx)}
<div class="field"><label for="m-name">${r('name')}</label><input id="m-name" name="name" required value="${m.form?.name ?? ''}"></div>
<div class="field"><label for="m-id">${r('optionalId')}</label><input id="m-id" name="id" value="${m.form?.id ?? ''}"></div>
<div class="field wide"><label for="m-phrases">${r('phrases')}</label><textarea id="m-phrases" name="phrases" rows="8" cols="60" required>${m.form?.phrases ?? ''}</textarea></div>
<div class="actions"><button type="submit">${r('createModel')}</button></div></form>`
    : ''
}`,
  );
}

export function asrModelView(
  ctx: PageContext,
  r: ResourceText,
  m: {
    account: string;
    model: AsrModelRecord;
    admin: boolean;
    notice?: Notice;
    draft?: { name: string; phrases: string };
    trial?: PhraseTrialResult;
  },
): string {
  const x = m.model;
  const href = accountHref(m.account, `/asr-models/${encodeURIComponent(x.id)}`);
  const dis = m.admin ? '' : html` readonly`;
  const t = m.trial;
  return page(
    ctx,
    r,
    m.account,
    '/asr-models',
    `${r('asrModels')}: ${x.name}`,
    html`${notices(r, m.notice)}
<p><code>${x.id}</code></p>
${
  t
    ? html`<p id="trial" role="status" class="${t.text === null ? 'error' : 'notice'}">${
        t.text === null ? r('rejected', { c: t.confidence }) : r('heard', { text: t.text, c: t.confidence })
      } · ${seconds(t.durationMs)}</p>`
    : ''
}
<form method="post" action="${href}" class="settings">${csrfField(ctx)}
<div class="field"><label for="m-name">${r('name')}</label><input id="m-name" name="name" required value="${m.draft?.name ?? x.name}"${dis}></div>
<div class="field wide"><label for="m-phrases">${r('phrases')}</label><textarea id="m-phrases" name="phrases" rows="12" cols="60" required${dis}>${m.draft?.phrases ?? x.phrases}</textarea></div>
${m.admin ? html`<div class="actions"><button type="submit">${r('save')}</button></div>` : ''}
</form>
<h2>${r('tryWav')}</h2>
<form method="post" action="${href}/try" enctype="multipart/form-data" hx-boost="false" class="filters">${csrfField(ctx)}
<div class="field"><label for="m-wav">${r('wavFile')}</label><input id="m-wav" name="file" type="file" accept=".wav,audio/wav" required></div>
<div class="actions"><button type="submit">${r('tryIt')}</button></div></form>`,
  );
}

export function ttsTemplatesView(
  ctx: PageContext,
  r: ResourceText,
  m: {
    account: string;
    templates: TtsTemplateRecord[];
    admin: boolean;
    notice?: Notice;
    form?: { id: string; name: string; text: string };
  },
): string {
  const vars = (text: string) => {
    try {
      return templateVariables(text).join(', ');
    } catch {
      return '';
    }
  };
  return page(
    ctx,
    r,
    m.account,
    '/tts-templates',
    r('ttsTemplates'),
    html`${notices(r, m.notice)}${!m.admin ? html`<p class="muted">${r('readOnly')}</p>` : ''}
${
  m.templates.length === 0
    ? html`<p class="empty">${r('noTemplates')}</p>`
    : html`<div class="table-wrap"><table>
<caption class="sr-only">${r('ttsTemplates')}</caption>
<thead><tr><th scope="col">${r('templateId')}</th><th scope="col">${r('name')}</th><th scope="col">${r('text')}</th>
<th scope="col">${r('variables')}</th>${m.admin ? html`<th scope="col">${r('actions')}</th>` : ''}</tr></thead><tbody>
${m.templates.map(
  (x) =>
    html`<tr><td><code>${x.id}</code></td><td>${x.name}</td><td>${x.text}</td><td>${vars(x.text)}</td>${
      m.admin
        ? html`<td><form method="post" action="${accountHref(m.account, '/tts-templates/remove')}" class="inline">${csrfField(ctx)}
<input type="hidden" name="id" value="${x.id}"><button type="submit" class="danger">${r('remove')} <span class="sr-only">${x.id}</span></button></form></td>`
        : ''
    }</tr>`,
)}
</tbody></table></div>`
}
${
  m.admin
    ? html`<h2>${r('add')}</h2>
<form method="post" action="${accountHref(m.account, '/tts-templates')}" class="settings">${csrfField(ctx)}
<div class="field"><label for="t-id">${r('templateId')}</label><input id="t-id" name="id" required placeholder="TTS_171950027" value="${m.form?.id ?? ''}"></div>
<div class="field"><label for="t-name">${r('name')}</label><input id="t-name" name="name" value="${m.form?.name ?? ''}"></div>
<div class="field wide"><label for="t-text">${r('text')}</label><textarea id="t-text" name="text" rows="3" cols="60" required>${m.form?.text ?? ''}</textarea></div>
<div class="actions"><button type="submit">${r('add')}</button></div></form>`
    : ''
}`,
  );
}
