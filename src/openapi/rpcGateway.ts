/**
 * The RPC gateway, independent of the HTTP server: one raw request in, one rendered response out.
 * Order of checks (spec §3.4): request shape, action and version, SecurityToken, signature, clock
 * and nonce, throttling (account, then action), then the action's own validation. The nonce and
 * the throttle are one Admission (one Redis round trip on API nodes that share them).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { CredentialSource } from '../tenancy/credentials.js';
import type { ActionHandler } from './actionContext.js';
import { type Admission, LocalAdmission } from './admission.js';
import { BusinessError, GatewayError, gatewayErrors } from './apiErrors.js';
import { Authenticator } from './authenticator.js';
import { ReplayGuard } from './replayGuard.js';
import { CONTENT_TYPE, type ResponseBody, type ResponseFormat, render } from './responseFormat.js';
import { FormattedGatewayError, parseRpcRequest, type RawHttpRequest } from './rpcRequest.js';
import { apiRateFor, DOCUMENTED_API_QPS, RequestThrottle } from './throttle.js';

export const API_VERSION = '2017-05-25';

export interface GatewayOptions {
  hostId: string;
  clockSkewSeconds: number;
  nonceTtlSeconds: number;
  defaultQps: number;
  /**
   * Per-account limits of single actions (requests per second) over DOCUMENTED_API_QPS; for an
   * account granted more than `defaultQps` they grow in proportion (throttle.ts apiRateFor).
   */
  apiQps?: Readonly<Record<string, number>> | undefined;
  businessErrorStatus: number;
}

export interface GatewayDeps {
  options: GatewayOptions;
  credentials: CredentialSource;
  actions: Readonly<Record<string, ActionHandler>>;
  log: Logger;
  now?: () => number;
  /**
   * Shared state of several API nodes (Redis): where nonces and the throttle's buckets are decided
   * beyond this node's own ReplayGuard (given the guard and the gateway's clock, see
   * SharedAdmission). Default: in-process.
   */
  shared?: {
    admission: (local: ReplayGuard, now: () => number) => Admission;
  };
}

export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RpcGateway {
  readonly #options: GatewayOptions;
  readonly #actions: Readonly<Record<string, ActionHandler>>;
  readonly #auth: Authenticator;
  readonly #admission: Admission;
  readonly #apiQps: Readonly<Record<string, number>>;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(deps: GatewayDeps) {
    this.#options = deps.options;
    this.#apiQps = { ...DOCUMENTED_API_QPS, ...deps.options.apiQps };
    this.#actions = deps.actions;
    this.#log = deps.log;
    // The wall clock on purpose: request timestamps are the client's wall clock (±15 min, spec §8).
    this.#now = deps.now ?? Date.now;
    const replay = new ReplayGuard(deps.options);
    this.#auth = new Authenticator(deps.credentials, replay);
    this.#admission =
      deps.shared?.admission(replay, this.#now) ?? new LocalAdmission(replay, new RequestThrottle());
  }

  async handle(raw: RawHttpRequest): Promise<RenderedResponse> {
    const requestId = randomUUID().toUpperCase();
    let format: ResponseFormat = 'JSON';
    let action: string | undefined;
    try {
      if (raw.method !== 'GET' && raw.method !== 'POST') throw gatewayErrors.actionNotFound();
      const req = parseRpcRequest(raw);
      format = req.format;
      action = req.action;
      if (!action) throw gatewayErrors.missingParameter('Action');
      const handler = Object.hasOwn(this.#actions, action) ? this.#actions[action] : undefined;
      if (!handler) throw gatewayErrors.actionNotFound();
      if (!req.version) throw gatewayErrors.missingParameter('Version');
      if (req.version !== API_VERSION) throw gatewayErrors.invalidVersion();

      const now = this.#now();
      const verified = this.#auth.verify(req, now);
      // The embedded store answers at once; only an async one (PostgreSQL) costs an await here.
      const { credential, nonce } = verified instanceof Promise ? await verified : verified;
      const defaultQps = this.#options.defaultQps;
      const accountQps = credential.qps ?? defaultQps;
      // The nonce, then the throttle (one Redis round trip for both on API nodes).
      const admitted = this.#admission.admit({
        accessKeyId: credential.accessKeyId,
        nonce,
        accountId: credential.accountId,
        accountRate: accountQps,
        action,
        apiRate: apiRateFor(this.#apiQps, action, accountQps, defaultQps),
        now,
      });
      const verdict = admitted instanceof Promise ? await admitted : admitted;
      if (!verdict.pass) {
        throw verdict.limit === 'nonce'
          ? gatewayErrors.nonceUsed()
          : verdict.limit === 'user'
            ? gatewayErrors.throttlingUser(verdict.retryAfterMs)
            : gatewayErrors.throttlingApi(verdict.retryAfterMs);
      }
      const log = this.#log.child({ requestId, action, accountId: credential.accountId });
      const fields = await handler(req.params, {
        account: { id: credential.accountId, status: credential.accountStatus },
        requestId,
        now,
        log,
      });
      return this.#respond(
        200,
        format,
        `${action}Response`,
        { RequestId: requestId, Code: 'OK', Message: 'OK', ...fields },
        requestId,
      );
    } catch (err) {
      return this.#failure(err, format, action, requestId);
    }
  }

  #failure(
    err: unknown,
    format: ResponseFormat,
    action: string | undefined,
    requestId: string,
  ): RenderedResponse {
    if (err instanceof BusinessError) {
      this.#log.debug({ requestId, action, code: err.code }, 'business error');
      return this.#respond(
        this.#options.businessErrorStatus,
        format,
        `${action ?? 'Error'}Response`,
        { RequestId: requestId, Code: err.code, Message: err.message },
        requestId,
      );
    }
    let error: GatewayError;
    if (err instanceof GatewayError) {
      error = err;
      if (err instanceof FormattedGatewayError) format = err.format;
      this.#log.debug({ requestId, action, code: err.code }, 'request refused');
    } else {
      this.#log.error({ requestId, action, err }, 'request failed with an internal error');
      error = gatewayErrors.internalError();
    }
    const body: ResponseBody = {
      RequestId: requestId,
      HostId: this.#options.hostId,
      Code: error.code,
      Message: error.message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=Dyvmsapi&requestId=${requestId}`,
    };
    const rendered = this.#respond(error.status, format, 'Error', body, requestId);
    if (error.headers) Object.assign(rendered.headers, error.headers);
    return rendered;
  }

  #respond(
    status: number,
    format: ResponseFormat,
    root: string,
    body: ResponseBody,
    requestId: string,
  ): RenderedResponse {
    return {
      status,
      headers: { 'content-type': CONTENT_TYPE[format], 'x-acs-request-id': requestId },
      body: render(format, root, body),
    };
  }
}
