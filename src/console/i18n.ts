/**
 * The console speaks Chinese and English: the `lang` cookie when the user chose, else the
 * browser's Accept-Language (Chinese first if it ranks above English), else Chinese.
 */
export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const en = {
  title: 'smartcall console',
  skip: 'Skip to content',
  calls: 'Calls',
  overview: 'Overview',
  accounts: 'Accounts',
  trunks: 'Trunks',
  logout: 'Log out',
  switchLang: '中文',
  switchLangLabel: 'Switch language to Chinese',
  signedInAs: 'Signed in as',
  loginTitle: 'Log in to the smartcall console',
  name: 'Name',
  password: 'Password',
  login: 'Log in',
  badLogin: 'Wrong name or password.',
  tooMany: 'Too many failed attempts. Try again in {s} seconds.',
  badForm: 'The form expired. Please try again.',
  forbidden: 'You may not see this.',
  forbiddenHint: 'Your console user is limited to another account.',
  notFound: 'Not found.',
  filter: 'Filter',
  reset: 'Reset',
  account: 'Account',
  allAccounts: 'All accounts',
  number: 'Called number',
  showNumber: 'Display number',
  outId: 'OutId',
  callId: 'CallId',
  state: 'State',
  anyState: 'Any state',
  outcome: 'Outcome code',
  from: 'From (UTC+8)',
  to: 'To (UTC+8)',
  created: 'Created (UTC+8)',
  duration: 'Talk time',
  hangup: 'Hung up by',
  noCalls: 'No calls match.',
  older: 'Older calls',
  newest: 'Newest calls',
  exportCsv: 'Export CSV',
  badFilter: 'Bad filter: {m}',
  callsTable: 'Calls, newest first',
  detail: 'Call {id}',
  fields: 'Fields',
  timeline: 'Timeline',
  timelineNote: 'Times are UTC+8; the offset is from when the call was accepted.',
  time: 'Time',
  offset: 'Offset',
  event: 'Event',
  what: 'Detail',
  callbacks: 'Callback exchanges',
  type: 'Type',
  result: 'Result',
  latency: 'Latency',
  action: 'Action',
  reply: 'Reply',
  receipts: 'Receipts',
  attempts: 'Attempts',
  lastError: 'Last error',
  delivered: 'Delivered',
  recording: 'Recording',
  noRecording: 'This call has no recording.',
  recordingGone: 'The recording is no longer kept.',
  none: 'None.',
  request: 'The accepted request',
  back: 'Back to calls',
  trunk: 'Trunk',
  sip: 'Final SIP response',
  dtmf: 'Keys pressed',
  earlyMedia: 'Early media',
  status: 'Status',
  'ev.accepted': 'Accepted (queued)',
  'ev.dialing': 'Dialling',
  'ev.ringing': 'Ringing',
  'ev.answered': 'Answered',
  'ev.ended': 'Ended',
  'ev.recording': 'Recording started',
  'ev.said': 'Prompt played',
  'ev.heard': 'Callee said',
  'ev.unrecognised': 'Callee spoke (not recognised)',
  'ev.dtmf': 'Key pressed',
  'ev.interrupted': 'Prompt cut',
  'ev.callback': 'Callback',
  'ev.receipt': 'Receipt',
} as const;

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  title: 'smartcall 控制台',
  skip: '跳到正文',
  calls: '通话记录',
  overview: '概览',
  accounts: '账号',
  trunks: '中继',
  logout: '退出登录',
  switchLang: 'English',
  switchLangLabel: '切换到英文',
  signedInAs: '当前用户',
  loginTitle: '登录 smartcall 控制台',
  name: '用户名',
  password: '密码',
  login: '登录',
  badLogin: '用户名或密码错误。',
  tooMany: '失败次数过多，请 {s} 秒后再试。',
  badForm: '表单已过期，请重试。',
  forbidden: '无权查看。',
  forbiddenHint: '您的控制台用户只能查看其他账号。',
  notFound: '未找到。',
  filter: '筛选',
  reset: '重置',
  account: '账号',
  allAccounts: '全部账号',
  number: '被叫号码',
  showNumber: '主叫显号',
  outId: 'OutId',
  callId: 'CallId',
  state: '状态',
  anyState: '全部状态',
  outcome: '结果码',
  from: '开始时间（北京时间）',
  to: '结束时间（北京时间）',
  created: '创建时间（北京时间）',
  duration: '通话时长',
  hangup: '挂断方',
  noCalls: '没有符合条件的通话。',
  older: '更早的通话',
  newest: '最新的通话',
  exportCsv: '导出 CSV',
  badFilter: '筛选条件有误：{m}',
  callsTable: '通话记录（最新在前）',
  detail: '通话 {id}',
  fields: '字段',
  timeline: '时间线',
  timelineNote: '时间为北京时间；偏移量从受理呼叫时算起。',
  time: '时间',
  offset: '偏移',
  event: '事件',
  what: '详情',
  callbacks: '回调交互',
  type: '类型',
  result: '结果',
  latency: '耗时',
  action: '动作',
  reply: '回复',
  receipts: '回执',
  attempts: '尝试次数',
  lastError: '最近错误',
  delivered: '送达时间',
  recording: '录音',
  noRecording: '此通话没有录音。',
  recordingGone: '录音已不再保留。',
  none: '无。',
  request: '受理的请求',
  back: '返回通话记录',
  trunk: '中继',
  sip: '最终 SIP 应答',
  dtmf: '按键',
  earlyMedia: '早媒体',
  status: '状态码',
  'ev.accepted': '已受理（排队）',
  'ev.dialing': '开始呼叫',
  'ev.ringing': '振铃',
  'ev.answered': '接听',
  'ev.ended': '结束',
  'ev.recording': '开始录音',
  'ev.said': '放音',
  'ev.heard': '用户说',
  'ev.unrecognised': '用户说话（未识别）',
  'ev.dtmf': '按键',
  'ev.interrupted': '放音被打断',
  'ev.callback': '回调',
  'ev.receipt': '回执',
};

const MESSAGES: Record<Lang, Record<MessageKey, string>> = { en, zh };

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const table = MESSAGES[lang];
  return (key, vars) => {
    let text = table[key];
    if (vars) for (const [k, v] of Object.entries(vars)) text = text.replace(`{${k}}`, String(v));
    return text;
  };
}

export function isLang(value: string | undefined): value is Lang {
  return value === 'zh' || value === 'en';
}

/** The cookie's choice, else the first of zh/en in Accept-Language by quality, else zh. */
export function pickLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(cookie)) return cookie;
  let best: { lang: Lang; q: number } | undefined;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const base = tag.split('-')[0];
    if (!isLang(base)) continue;
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const q = qParam ? Number(qParam.trim().slice(2)) : 1;
    if (Number.isFinite(q) && (!best || q > best.q)) best = { lang: base, q };
  }
  return best?.lang ?? 'zh';
}
