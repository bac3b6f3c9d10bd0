/**
 * The phone network playground: the personas of the embedded phone network, a form that places a
 * SmartCall to one of them (admins only) and then follows it live, the persona files in use, and a
 * form that checks a pasted persona file (problems listed with their line and column).
 */
import type { PersonaFileIssue, PersonaSummary } from '../../phonenet/index.js';
import { outcomeText } from '../../phonenet/personaSummary.js';
import { type Html, html } from '../html.js';
import type { PlaygroundCallForm } from '../playgroundForm.js';
import { layout, type PageContext } from './layout.js';

export interface PlaygroundModel {
  /** undefined: this server runs no phone network. */
  personas: PersonaSummary[] | undefined;
  files: string[];
  /** Display numbers the user may call from, with their account; undefined: the user may not place calls. */
  numbers: { number: string; account: string }[] | undefined;
  demoBot: boolean;
  form: PlaygroundCallForm;
  error?: string;
  check?: {
    text: string;
    format: 'yaml' | 'json';
    result: { personas: string[] } | { issues: PersonaFileIssue[] };
  };
}

/** Numbers a persona answers that can be dialled as they are (not patterns). */
export const dialable = (p: PersonaSummary) => p.numbers.filter((n) => /^\d{7,15}$/.test(n));

function personas(ctx: PageContext, m: PlaygroundModel): Html {
  const { t } = ctx;
  if (!m.personas) return html`<p>${t('pgNoPhonenet')}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t('pgPersonas')}"><table class="personas">
<thead><tr><th scope="col">${t('pgPersona')}</th><th scope="col">${t('pgNumbers')}</th><th scope="col">${t('pgExpected')}</th><th scope="col">${t('pgBehaviour')}</th></tr></thead>
<tbody>${m.personas.map(
    (
      p,
    ) => html`<tr><td><strong>${p.name}</strong>${p.description ? html`<br><span class="muted">${p.description}</span>` : ''}</td>
<td>${p.numbers.join(', ')}</td><td>${outcomeText(p.expected)}</td><td>${p.behaviour}</td></tr>`,
  )}</tbody></table></div>`;
}

function placeForm(ctx: PageContext, m: PlaygroundModel): Html {
  const { t } = ctx;
  if (!m.numbers) return html`<p>${t('pgAdminsOnly')}</p>`;
  if (!m.personas) return html`<p>${t('pgNoPhonenet')}</p>`;
  if (m.numbers.length === 0) return html`<p>${t('pgNoNumbers')}</p>`;
  const f = m.form;
  const checked = (on: boolean) => (on ? html` checked` : '');
  return html`<form class="playground" method="post" action="/console/playground/call" hx-boost="false">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
${m.error ? html`<p class="error" role="alert" id="pg-error">${m.error}</p>` : ''}
<div class="field"><label for="pg-persona">${t('pgPersona')}</label><select id="pg-persona" name="calledNumber">
${m.personas.flatMap((p) =>
  dialable(p).map(
    (n) => html`<option value="${n}"${f.calledNumber === n ? html` selected` : ''}>${p.name} · ${n}</option>`,
  ),
)}</select></div>
<div class="field"><label for="pg-show">${t('showNumber')}</label><select id="pg-show" name="showNumber">
${m.numbers.map((n) => html`<option value="${n.number}"${f.showNumber === n.number ? html` selected` : ''}>${n.number} · ${n.account}</option>`)}
</select></div>
<div class="field wide"><label for="pg-text">${t('pgText')}</label><textarea id="pg-text" name="text" rows="2">${f.text}</textarea></div>
<details${f.voiceCode ? html` open` : ''}><summary>${t('pgVoiceCode')}</summary>
<div class="field"><label for="pg-vc">VoiceCode</label><input id="pg-vc" name="voiceCode" value="${f.voiceCode}"></div>
<div class="field"><label for="pg-vcp">VoiceCodeParam</label><input id="pg-vcp" name="voiceCodeParam" value="${f.voiceCodeParam}"></div>
</details>
<fieldset><legend>${t('pgCallback')}</legend>
${m.demoBot ? html`<label><input type="radio" name="callback" value="bot"${checked(f.callback === 'bot')}> ${t('pgDemoBot')}</label>` : ''}
<label><input type="radio" name="callback" value="url"${checked(f.callback === 'url')}> ${t('pgUrl')}</label>
<label for="pg-url" class="sr-only">${t('pgUrl')}</label><input id="pg-url" name="callbackUrl" type="url" placeholder="https://example.com/callback" value="${f.callbackUrl}">
<label><input type="radio" name="callback" value="account"${checked(f.callback === 'account' || (!m.demoBot && f.callback === 'bot'))}> ${t('pgAccountCallback')}</label>
</fieldset>
<label><input type="checkbox" name="record"${checked(f.record)}> ${t('pgRecord')}</label>
<div class="actions"><button type="submit">${t('pgPlace')}</button></div>
</form>`;
}

function checkForm(ctx: PageContext, m: PlaygroundModel): Html {
  const { t } = ctx;
  const c = m.check;
  let result: Html | string = '';
  if (c && 'personas' in c.result)
    result = html`<p class="ok" role="status">${t('pgValid', { n: c.result.personas.length })} ${c.result.personas.join(', ')}</p>`;
  else if (c && 'issues' in c.result)
    result = html`<div role="alert"><p class="error">${t('pgInvalid', { n: c.result.issues.length })}</p>
<ul class="issues">${c.result.issues.map(
      (i) =>
        html`<li><a href="#line-${i.line}">${i.line > 0 ? t('pgLine', { line: i.line, col: i.column }) : t('pgWholeFile')}</a>${i.path ? html` <code>${i.path}</code>` : ''}: ${i.message}</li>`,
    )}</ul></div>${numbered(c.text, new Set(c.result.issues.map((i) => i.line)))}`;
  return html`<form method="post" action="/console/playground/validate#check" hx-boost="false">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
<div class="field wide"><label for="pg-file">${t('pgPaste')}</label>
<textarea id="pg-file" name="text" rows="10" spellcheck="false" class="code">${c?.text ?? ''}</textarea></div>
<div class="field"><label for="pg-format">${t('pgFormat')}</label><select id="pg-format" name="format">
<option value="yaml"${c?.format === 'yaml' ? html` selected` : ''}>YAML</option>
<option value="json"${c?.format === 'json' ? html` selected` : ''}>JSON</option></select></div>
<div class="actions"><button type="submit">${t('pgCheck')}</button></div>
</form>${result}`;
}

/** A file's text with its line numbers, lines in `marked` highlighted (anchors `line-<n>`). */
export function numbered(text: string, marked: ReadonlySet<number> = new Set()): Html {
  const lines = text.split('\n');
  return html`<ol class="file">${lines.map(
    (l, i) =>
      html`<li id="line-${i + 1}"${marked.has(i + 1) ? html` class="bad"` : ''}><code>${l || ' '}</code></li>`,
  )}</ol>`;
}

export function playgroundView(ctx: PageContext, m: PlaygroundModel): string {
  const { t } = ctx;
  return layout(
    ctx,
    t('playground'),
    html`<h1>${t('playground')}</h1>
<p class="muted">${t('pgNote')}</p>
<section aria-labelledby="h-place"><h2 id="h-place">${t('pgPlaceTitle')}</h2>${placeForm(ctx, m)}</section>
<section aria-labelledby="h-personas"><h2 id="h-personas">${t('pgPersonas')}</h2>${personas(ctx, m)}</section>
<section aria-labelledby="h-files"><h2 id="h-files">${t('pgFiles')}</h2>
<ul>${m.files.map((f, i) => html`<li><a href="/console/playground/files/${i}">${f}</a></li>`)}</ul></section>
<section aria-labelledby="h-check" id="check"><h2 id="h-check">${t('pgCheckTitle')}</h2>${checkForm(ctx, m)}</section>`,
  );
}

export function personaFileView(ctx: PageContext, name: string, text: string): string {
  const { t } = ctx;
  return layout(
    ctx,
    name,
    html`<p><a href="/console/playground">← ${t('playground')}</a></p>
<h1>${t('pgFile', { name })}</h1>
<div class="table-wrap" tabindex="0" role="region" aria-label="${name}">${numbered(text)}</div>`,
  );
}
