/**
 * The records the store keeps. Times are epoch milliseconds; secrets are only ever stored encrypted
 * (see tenancy/secretBox.ts), which the `*Enc` suffix makes visible at every use.
 */
import type { UnrecognizedSpeech } from '../contract/callbackContent.js';

export type AccountStatus = 'active' | 'disabled';

/** Receipt families of spec §5. */
export const RECEIPT_TYPES = ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

export type CallbackBodyMode = 'query' | 'form';

export interface CallbackSettings {
  url: string | null;
  timeoutMs: number;
  /** JSON text of the reply used when the callback fails (spec §4.6, console "响应信息"). */
  fallbackReply: string | null;
  bodyMode: CallbackBodyMode;
  /** Sealed secret for the X-Smartcall-Signature header; null = unsigned callbacks. */
  signingSecretEnc: string | null;
  /** What an utterance the recognizer rejects produces: a `normal` with empty words, or nothing. */
  unrecognized: UnrecognizedSpeech;
}

/**
 * Where an account's receipts go (spec §5.1). Alibaba's console sets one push URL per MessageType
 * (`typeUrls`); the older form here is one URL (`url`) for the types listed in `types`. A type's
 * own URL wins; see tenancy/receiptRoutes.ts.
 */
export interface ReceiptSettings {
  url: string | null;
  types: ReceiptType[];
  typeUrls: Partial<Record<ReceiptType, string>>;
}

export interface AccountRecord {
  id: number;
  name: string;
  status: AccountStatus;
  /** Requests per second through the API; null means the configured default. */
  qps: number | null;
  callback: CallbackSettings;
  receipts: ReceiptSettings;
  /**
   * Patterns (regular expressions) a `transfer` / `parallel_transfer` number must match; absent or
   * null: the default, mainland China numbers only (calls/destinations.ts).
   */
  allowedDestinations?: readonly string[] | null;
  createdAt: number;
}

export type AccessKeyStatus = 'active' | 'disabled';

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: number;
  secretEnc: string;
  status: AccessKeyStatus;
  createdAt: number;
}

export interface DisplayNumberRecord {
  number: string;
  accountId: number;
  /** Calls to this number from a trunk are inbound smart calls (spec §4.7: a `callin` callback). */
  inbound?: boolean;
  createdAt: number;
}

export interface VoiceFileRecord {
  /** The voice ID used in `VoiceCode`, e.g. `2d4c-4e78-8d2a-afbb06cf0001.wav`. */
  id: string;
  accountId: number;
  name: string;
  path: string;
  durationMs: number;
  createdAt: number;
}

export interface AsrModelRecord {
  id: string;
  accountId: number;
  name: string;
  /** One phrase per line, optional pronunciation after a tab. */
  phrases: string;
  createdAt: number;
}

/**
 * A TTS template (`TTS_171950027`) that `VoiceCode` / `action_code` may name: its `${var}`
 * placeholders are filled from `VoiceCodeParam` / `action_code_param` and the result is spoken.
 */
export interface TtsTemplateRecord {
  id: string;
  accountId: number;
  name: string;
  text: string;
  createdAt: number;
}

/**
 * A dialog script of an account (issue 16 item 3), named by SmartCall's `DialogId`: the text as
 * written (`source`, YAML or JSON) and the script it was checked into (`script`, JSON).
 */
export interface DialogScriptRecord {
  id: string;
  accountId: number;
  name: string;
  source: string;
  /** The checked script as JSON (src/contract/dialogScript.ts). */
  script: string;
  createdAt: number;
  updatedAt: number;
}

/** A Call moves queued → dialing → ringing/early_media → answered → ended, or to failed (DESIGN §4). */
export const CALL_STATES = [
  'queued',
  'dialing',
  'ringing',
  'early_media',
  'answered',
  'ended',
  'failed',
] as const;
export type CallState = (typeof CALL_STATES)[number];

export interface CallRecord {
  callId: string;
  accountId: number;
  state: CallState;
  calledNumber: string;
  calledShowNumber: string;
  outId: string | null;
  dynamicId: string | null;
  /** The accepted SmartCall request after validation and clamping, as JSON. */
  request: string;
  createdAt: number;
  originateAt: number | null;
  ringAt: number | null;
  answerAt: number | null;
  endAt: number | null;
  statusCode: string | null;
  smartStatusCode: string | null;
  statusMsg: string | null;
  hangupDirection: string | null;
  /** The trunk the call left through. */
  trunk: string | null;
  /** Final SIP status of a call that was not answered (and its reason phrase). */
  sipStatus: number | null;
  sipReason: string | null;
  /** Keys the callee pressed during the call. */
  dtmf: string | null;
  /** Spec §5.5.3, when early-media recognition was on and heard an announcement. */
  earlyMediaCode: string | null;
  recordPath: string | null;
  recordBeginAt: number | null;
  /** How the parallel (call-centre) leg ended, a result code of spec §5.5.2; null without one. */
  parallelLegHangupCause: string | null;
  /** Answering-machine detection, when the account has it on: `AmdOutcome` as JSON (contract/answeringMachine.ts). */
  amd?: string | null;
}

export interface CallbackExchangeRecord {
  callId: string;
  contentType: string;
  /** The `content` JSON as sent. */
  content: string;
  /** `ok`, or the failure kind (timeout, http-status, bad-reply, fail-result, network). */
  outcome: string;
  httpStatus: number | null;
  /** The reply body (cut at 4 KB). */
  reply: string | null;
  /** The action carried out, and where it came from (reply, fallback, policy). */
  action: string | null;
  detail: string | null;
  latencyMs: number;
  createdAt: number;
}

/** How a number is written in SIP towards a trunk (caller in From/PAI, callee in the Request-URI). */
export const NUMBER_FORMATS = ['national', 'e164', 'e164-no-plus'] as const;
export type NumberFormat = (typeof NUMBER_FORMATS)[number];
/** Audio codecs a trunk may offer (G.711 both laws, G.722 wideband). */
export const TRUNK_CODECS = ['PCMU', 'PCMA', 'G722'] as const;
export type TrunkCodec = (typeof TRUNK_CODECS)[number];
/** Media encryption towards a trunk: SDES-SRTP off, offered on RTP/AVP, or required (RTP/SAVP). */
export const TRUNK_SRTP = ['off', 'optional', 'required'] as const;
export type TrunkSrtp = (typeof TRUNK_SRTP)[number];

export type SipTransportName = 'udp' | 'tcp' | 'tls';

export interface TrunkRecord {
  name: string;
  /** An IP literal or a host name (located per RFC 3263 when dialled). */
  host: string;
  /** The port given, else the default (5060). */
  port: number;
  /** The transport given, else udp (for a name without one, DNS decides: see `uri`). */
  transport: SipTransportName;
  /**
   * The target as given, without user part: `sip:trunk.example.com`, `sip:192.0.2.1:5070;transport=tcp`.
   * What is dialled: an explicit port skips SRV, an explicit transport skips NAPTR (RFC 3263 §4).
   * Absent for trunks added before host names were allowed: `sip:host:port;transport=…`.
   */
  uri?: string | null;
  username: string | null;
  passwordEnc: string | null;
  /** Digest realm to answer; null accepts the realm the trunk challenges with. */
  realm: string | null;
  callerFormat: NumberFormat;
  calleeFormat: NumberFormat;
  /** Send P-Asserted-Identity with the caller number (RFC 3325). */
  sendPai: boolean;
  /** New calls per second the dialer may start on this trunk. */
  cps: number;
  /** Concurrent calls at most. */
  maxCalls: number;
  /** OPTIONS keep-alive interval, seconds; 0 = off. */
  optionsIntervalS: number;
  /** CIDR ranges this trunk sends INVITEs from (absent or empty: it sends none we take). */
  inboundFrom?: readonly string[];
  /** Register at the trunk (REGISTER with the digest credentials) while the server runs. */
  register?: boolean;
  /** Binding lifetime asked for, seconds (the registrar may grant another). */
  registerExpiresS?: number;
  /** Codecs our INVITE offers, in order of preference (the answer picks one). */
  codecs: readonly TrunkCodec[];
  /** SRTP with SDES keys (RFC 4568) on this trunk's calls (absent: off). */
  srtp?: TrunkSrtp;
  /** TLS trunks: a PEM file of CA certificates trusted beside the system's (`--tls-ca-file`). */
  tlsCaFile?: string | null;
  /** TLS trunks: the client certificate and key presented when the trunk asks (`--tls-cert-file`, `--tls-key-file`). */
  tlsCertFile?: string | null;
  tlsKeyFile?: string | null;
  isDefault: boolean;
  createdAt: number;
}

export type TrunkRegistrationState = 'registering' | 'registered' | 'failing' | 'unregistered';

/** A trunk's registration as the server last saw it (the CLI reads it from the store). */
export interface TrunkRegistrationRecord {
  state: TrunkRegistrationState;
  /** Granted lifetime when registered, else the one asked for. */
  expiresS: number;
  lastError: string | null;
  /** Epoch ms of the next REGISTER (refresh or retry); null when none is planned. */
  nextAttemptAt: number | null;
  /** The Contact user part INVITEs for this trunk arrive on. */
  contactUser: string;
  updatedAt: number;
}

export type ReceiptState = 'pending' | 'delivered' | 'abandoned';

export interface ReceiptRecord {
  /** Insertion order: receipts of one call to one URL are delivered in this order. */
  id: number;
  /** Stable across retries and restarts (`<call id>:<type>:<n>`), so receivers can drop duplicates. */
  receiptId: string;
  accountId: number;
  callId: string;
  type: ReceiptType;
  /**
   * The URL the receipt was owed to when written: a call's receipts with the same stream go out
   * in order. (It is sent to its type's URL at delivery time.)
   */
  stream: string;
  /** The report object as pushed (JSON). */
  payload: string;
  state: ReceiptState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** Who may use the web console: an `admin` changes things, a `viewer` only looks. */
export const CONSOLE_ROLES = ['admin', 'viewer'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export interface ConsoleUserRecord {
  name: string;
  /** `scrypt$N$r$p$salt$hash` (console/passwordHash.ts); never the password. */
  passwordHash: string;
  role: ConsoleRole;
  /** The one account this user sees; null: every account. */
  accountId: number | null;
  createdAt: number;
}

export interface ConsoleSessionRecord {
  /** SHA-256 of the cookie's token: a leaked database opens no session. */
  tokenHash: string;
  userName: string;
  /** Sent back with every change (form field or header), checked against this. */
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/** What the console's call list narrows to; every field is optional and they combine (AND). */
export interface CallFilter {
  accountId?: number;
  calledNumber?: string;
  outId?: string;
  callId?: string;
  state?: CallState;
  statusCode?: string;
  /** created_at >= from (epoch ms). */
  from?: number;
  /** created_at < to (epoch ms). */
  to?: number;
}

/** Where a page of calls (newest first) continues: strictly older than this call. */
export interface CallCursor {
  createdAt: number;
  callId: string;
}

/** The operator's layer of the calling policy and the do-not-call list use this account id. */
export const GLOBAL_POLICY_ACCOUNT = 0;

/** A number nobody may call (account 0: the operator's list, for every account). */
export interface DncRecord {
  accountId: number;
  number: string;
  /** Why: `import`, `api`, `cli`, `opt-out key 9`, `opt-out callback`… */
  reason: string;
  createdAt: number;
}

/** What the policy gate decided about a call, kept beside it (why it waited, why it was refused). */
export interface CallDecisionRecord {
  callId: string;
  at: number;
  /** `admitted`, `wait`, `refused`, `caller-id`, `retry`, `opt-out`. */
  decision: string;
  detail: string;
}

export const CAMPAIGN_STATES = ['running', 'paused', 'cancelled', 'done'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export interface CampaignRecord {
  id: number;
  accountId: number;
  name: string;
  state: CampaignState;
  /** The campaign's settings as JSON (calls/campaigns/campaignSettings.ts). */
  settings: string;
  total: number;
  createdAt: number;
  /** No call starts before this instant (BatchRobotSmartCall's ScheduleTime). */
  startAt: number;
  completedAt: number | null;
}

/**
 * One number of a campaign: `pending` (never tried), `waiting` (deferred by the policy or a retry,
 * until `nextAt`), `calling` (a call of it is in progress), then `done`, `skipped` or `cancelled`.
 */
export const CAMPAIGN_ROW_STATES = ['pending', 'waiting', 'calling', 'done', 'skipped', 'cancelled'] as const;
export type CampaignRowState = (typeof CAMPAIGN_ROW_STATES)[number];

export interface CampaignRowRecord {
  campaignId: number;
  rowNo: number;
  calledNumber: string;
  outId: string | null;
  /** The row's VoiceCodeParam variables as JSON. */
  params: string;
  state: CampaignRowState;
  attempts: number;
  nextAt: number;
  lastCallId: string | null;
  /** The last attempt's outcome (answered, busy, no-answer, powered-off, declined, vacant, failed). */
  outcome: string | null;
  /** The last decision about the row, in words (why it waits, why it was skipped). */
  reason: string | null;
  updatedAt: number;
}

/**
 * One thing that happened in a call, for its timeline (console call detail, live replay): a prompt
 * played, speech heard or rejected, a key, a barge-in, a state or a callback. `data` is the event's
 * JSON (calls/callEvents.ts) without its CallId.
 */
export interface CallEventRecord {
  callId: string;
  at: number;
  type: string;
  data: string;
}
