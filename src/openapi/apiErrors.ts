/**
 * The error catalogue (spec §7). Two kinds, answered differently (spec §2.3, §10 Q7):
 * - gateway errors (`GatewayError`): signature, missing/invalid parameters, throttling, unknown
 *   action. Non-2xx, with the error JSON/XML of spec §2.2, so every SDK throws.
 * - business errors (`BusinessError`): `isv.*` / `isp.*` codes in an otherwise normal response,
 *   HTTP 200 by default, which the official SDK returns and pop-core turns into an exception.
 */

export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly code: string;
  readonly status: number;
  /** Extra response headers (`x-acs-retry-after` on throttling). */
  readonly headers: Readonly<Record<string, string>> | undefined;
  constructor(code: string, status: number, message: string, headers?: Readonly<Record<string, string>>) {
    super(message);
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

/**
 * The SDK copies this integer into `ThrottlingError.retryAfter` (spec §7.2), and its retry policy
 * sleeps exactly that many milliseconds (Darabonba `getBackoffDelay`): so milliseconds it is.
 */
const retryAfter = (ms: number) => ({ 'x-acs-retry-after': String(Math.max(1, Math.ceil(ms))) });

export class BusinessError extends Error {
  override name = 'BusinessError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export const gatewayErrors = {
  missingParameter: (name: string) =>
    new GatewayError(`Missing${name}`, 400, `${name} is mandatory for this action.`),
  invalidParameter: (name: string, why?: string) =>
    new GatewayError(
      'InvalidParameter',
      400,
      `Specified parameter ${name} is not valid.${why ? ' ' + why : ''}`,
    ),
  duplicateParameter: (name: string) =>
    new GatewayError(
      'InvalidParameter',
      400,
      `Specified parameter ${name} is not valid. It appears more than once.`,
    ),
  malformedEncoding: (why: string) =>
    new GatewayError('InvalidParameter', 400, `The request could not be decoded: ${why}.`),
  incompleteSignature: (why: string) =>
    new GatewayError(
      'IncompleteSignature',
      400,
      `The request signature does not conform to Aliyun standards. ${why}`,
    ),
  missingSignature: () =>
    new GatewayError('MissingSignature', 400, 'Signature is mandatory for this action.'),
  unsupportedSignatureMethod: (method: string) =>
    new GatewayError(
      'UnsupportedSignatureMethod',
      400,
      `Specified signature method ${method} is not supported; use HMAC-SHA1 (V1) or ACS3-HMAC-SHA256 (V3).`,
    ),
  unsupportedSignatureVersion: (version: string) =>
    new GatewayError(
      'UnsupportedSignatureVersion',
      400,
      `Specified signature version ${version} is not supported; use 1.0.`,
    ),
  accessKeyNotFound: () =>
    new GatewayError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.'),
  accessKeyInactive: () =>
    new GatewayError('InvalidAccessKeyId.Inactive', 400, 'Specified access key is disabled.'),
  signatureDoesNotMatch: (stringToSign: string) =>
    new GatewayError(
      'SignatureDoesNotMatch',
      400,
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
    ),
  nonceUsed: () => new GatewayError('SignatureNonceUsed', 400, 'Specified signature nonce was used already.'),
  timestampExpired: () =>
    new GatewayError('InvalidTimeStamp.Expired', 400, 'Specified time stamp or date value is expired.'),
  timestampFormat: () =>
    new GatewayError(
      'InvalidTimeStamp.Format',
      400,
      'Specified time stamp or date value is not well formatted.',
    ),
  // Temporary credentials (spec §7.2). A temporary key without its token is what Alibaba answers
  // MissingSecurityToken, in the Missing<Param> form.
  missingSecurityToken: () =>
    new GatewayError('MissingSecurityToken', 400, 'SecurityToken is mandatory for this action.'),
  securityTokenMalformed: () =>
    new GatewayError('InvalidSecurityToken.Malformed', 400, 'Specified SecurityToken is malformed.'),
  securityTokenMismatch: () =>
    new GatewayError(
      'InvalidSecurityToken.MismatchWithAccessKey',
      400,
      'Specified SecurityToken mismatch with the AccessKey.',
    ),
  securityTokenExpired: () =>
    new GatewayError('InvalidSecurityToken.Expired', 400, 'Specified SecurityToken is expired.'),
  actionNotFound: () =>
    new GatewayError(
      'InvalidAction.NotFound',
      404,
      'Specified api is not found, please check your url and method.',
    ),
  invalidVersion: () => new GatewayError('InvalidVersion', 400, 'Specified parameter Version is not valid.'),
  throttlingUser: (retryAfterMs: number) =>
    new GatewayError(
      'Throttling.User',
      400,
      'Request was denied due to user flow control.',
      retryAfter(retryAfterMs),
    ),
  throttlingApi: (retryAfterMs: number) =>
    new GatewayError(
      'Throttling.Api',
      400,
      'Request was denied due to api flow control.',
      retryAfter(retryAfterMs),
    ),
  internalError: () =>
    new GatewayError(
      'InternalError',
      500,
      'The request processing has failed due to some unknown error, exception or failure.',
    ),
  serviceUnavailable: () =>
    new GatewayError(
      'ServiceUnavailable',
      503,
      'The request has failed due to a temporary failure of the server.',
    ),
};

/** Messages are Chinese, as in the real service's responses (spec §7.1). */
export const businessErrors = {
  invalidParameters: (detail: string) => new BusinessError('isv.INVALID_PARAMETERS', `参数非法: ${detail}`),
  displayNumberIllegal: () =>
    new BusinessError('isv.DISPLAY_NUMBER_ILLEGAL', '号显非法: 主叫号码不属于该账号'),
  mobileNumberIllegal: () => new BusinessError('isv.MOBILE_NUMBER_ILLEGAL', '号码格式非法'),
  voiceFileIllegal: (item: string) => new BusinessError('isv.VOICE_FILE_ILLEGAL', `语音文件非法: ${item}`),
  templateMissingParameters: (name: string) =>
    new BusinessError('isv.TEMPLATE_MISSING_PARAMETERS', `模板缺少变量: ${name}`),
  ttsTemplateIllegal: (id: string) => new BusinessError('isv.TTS_TEMPLATE_ILLEGAL', `TTS模板不合法: ${id}`),
  asrModelError: () => new BusinessError('isv.ASR_MODEL_ERROR', 'ASR模型不存在或无权限'),
  outOfService: () => new BusinessError('isv.OUT_OF_SERVICE', '业务停机: 账号已停用'),
  /** Per-callee frequency control (spec §6.3 SingleCallByTts): which window was full. */
  businessLimitControl: (window: string) =>
    new BusinessError('isv.BUSINESS_LIMIT_CONTROL', `触发流控: 同一被叫号码${window}内呼叫次数超限`),
  /** The calling policy's per-callee cap (calls/policy): the reason in words. */
  policyLimitControl: (why: string) =>
    new BusinessError('isv.BUSINESS_LIMIT_CONTROL', `触发流控: 同一被叫号码呼叫次数超限 (${why})`),
  /** The callee is on a do-not-call list. */
  doNotCall: (why: string) => new BusinessError('isv.COMPLAINT_REJECT', `被叫号码在免打扰名单中 (${why})`),
  paramLengthLimit: (name: string, max: number) =>
    new BusinessError('isv.PARAM_LENGTH_LIMIT', `参数超出长度限制: ${name} 最多 ${max} 个字符`),
  paramNotSupportUrl: (name: string) =>
    new BusinessError('isv.PARAM_NOT_SUPPORT_URL', `变量不支持传入URL: ${name}`),
};
