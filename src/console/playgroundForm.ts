/**
 * The playground's "place a call" form, read into SmartCall parameters: which display number (it
 * says which account pays), which persona's number, what to say (a text spoken by TTS, or a
 * VoiceCode with its VoiceCodeParam), where the callbacks go (the demo bot, a URL, or the account's
 * own setting) and whether to record. Problems are message keys with the field they belong to.
 */
import type { MessageKey } from './i18n.js';

export type CallbackChoice = 'bot' | 'url' | 'account';

export interface PlaygroundCallForm {
  showNumber: string;
  calledNumber: string;
  text: string;
  voiceCode: string;
  voiceCodeParam: string;
  callback: CallbackChoice;
  callbackUrl: string;
  record: boolean;
}

export interface PlaygroundCall {
  params: Record<string, string>;
  /** undefined: the account's own callback setting. */
  callback: { kind: 'bot' } | { kind: 'url'; url: string } | undefined;
}

export function readCallForm(form: URLSearchParams): PlaygroundCallForm {
  const text = (name: string) => (form.get(name) ?? '').trim();
  const callback = text('callback');
  return {
    showNumber: text('showNumber'),
    calledNumber: text('calledNumber'),
    text: text('text'),
    voiceCode: text('voiceCode'),
    voiceCodeParam: text('voiceCodeParam'),
    callback: callback === 'url' || callback === 'account' ? callback : 'bot',
    callbackUrl: text('callbackUrl'),
    record: form.get('record') === 'on',
  };
}

/** The SmartCall this form asks for, or the first problem with it. */
export function playgroundCall(f: PlaygroundCallForm): PlaygroundCall | { problem: MessageKey } {
  if (!f.showNumber) return { problem: 'pgNeedShowNumber' };
  if (!f.calledNumber) return { problem: 'pgNeedPersona' };
  if (!f.voiceCode && !f.text) return { problem: 'pgNeedPrompt' };
  let callback: PlaygroundCall['callback'];
  if (f.callback === 'url') {
    let url: URL;
    try {
      url = new URL(f.callbackUrl);
    } catch {
      return { problem: 'pgBadUrl' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'pgBadUrl' };
    callback = { kind: 'url', url: url.href };
  } else if (f.callback === 'bot') callback = { kind: 'bot' };
  const params: Record<string, string> = {
    CalledShowNumber: f.showNumber,
    CalledNumber: f.calledNumber,
    RecordFlag: String(f.record),
    OutId: 'playground',
  };
  if (f.voiceCode) {
    params.VoiceCode = f.voiceCode;
    if (f.voiceCodeParam) params.VoiceCodeParam = f.voiceCodeParam;
  } else {
    params.VoiceCode = '$text$';
    params.VoiceCodeParam = JSON.stringify({ text: f.text });
  }
  return { params, callback };
}
