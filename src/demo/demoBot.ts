/**
 * The demo bot: a tiny business application written against the callback protocol (spec §4), as a
 * SmartCall customer would write one. It runs a two-question satisfaction survey, keeping its state
 * in `dynamic_id`, and hangs up politely. `smartcall serve` mounts it at /demo-bot/callback and
 * points the demo account at it, so the first call a newcomer places has someone to talk to.
 */

export const DEMO_OPENING = '您好，这里是智能外呼演示。请问您对我们的服务满意吗？';

interface Reply {
  action: string;
  action_code?: string;
  action_code_param?: string;
  dynamic_id?: string;
  action_break?: boolean;
  action_code_break?: boolean;
  mute_time?: number;
}

const say = (text: string, step: string, extra: Partial<Reply> = {}): Reply => ({
  action: 'play',
  action_code: '$text$',
  action_code_param: JSON.stringify({ text }),
  dynamic_id: step,
  ...extra,
});

const bye = (text: string): Reply => ({
  action: 'hangup',
  action_code: '$text$',
  action_code_param: JSON.stringify({ text }),
});

const YES = /是|对|好|可以|满意|愿意|行|yes|ok|sure|interested/i;
const NO = /不|没|no|not/i;
const LATER = /没空|忙|later|busy/i;

/** One callback in, one reply out: `content_type` and the decoded `content` object. */
export function demoBotReply(contentType: string, content: Record<string, unknown>): Reply {
  const step = typeof content.dynamic_id === 'string' && content.dynamic_id ? content.dynamic_id : 'q1';
  if (contentType === 'mute') {
    if (step.endsWith('-again')) return bye('好像听不到您的声音，我们稍后再联系您，再见。');
    return say(
      step === 'q2' ? '请问您愿意把我们推荐给朋友吗？' : '请问您对我们的服务满意吗？',
      `${step}-again`,
    );
  }
  if (contentType === 'dtmf') return bye('收到您的按键，谢谢，再见。');
  // An inbound call (spec §4.7): answered with the same survey.
  if (contentType === 'callin') return { ...say(DEMO_OPENING, 'q1'), action: 'answer' };
  if (contentType !== 'normal') return { action: 'donothing' };
  const words = String(content.words ?? '');
  const question = step.replace(/-again$/, '');
  if (LATER.test(words)) return bye('好的，我们改天再打给您，再见。');
  if (question === 'q1') {
    if (NO.test(words) && !YES.test(words))
      return say('很抱歉给您带来不便，请问您愿意把我们推荐给朋友吗？', 'q2');
    if (YES.test(words)) return say('谢谢您的认可！请问您愿意把我们推荐给朋友吗？', 'q2');
    return say('不好意思，请问您对我们的服务满意吗？请回答满意或者不满意。', 'q1-again');
  }
  return bye(YES.test(words) ? '太好了，感谢您的支持，再见！' : '好的，感谢您的参与，再见！');
}
