/**
 * Tokens for Alibaba Cloud NLS: a fixed token from the config, or one fetched with an AccessKey
 * pair through the CreateToken API (`@alicloud/pop-core`, as the NLS SDK's own getToken does) and
 * reused until shortly before it expires.
 */

import { createRequire } from 'node:module';
import { systemClock } from '../../clock/clock.js';

export interface NlsTokenOptions {
  token?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  tokenEndpoint?: string;
  timeoutMs?: number;
}

interface CreateTokenResponse {
  Token?: { Id?: string; ExpireTime?: number };
}

export class NlsTokenProvider {
  readonly #options: NlsTokenOptions;
  #cached: { id: string; expiresAtMs: number } | null = null;

  constructor(options: NlsTokenOptions) {
    this.#options = options;
  }

  async token(nowMs = systemClock.now()): Promise<string> {
    if (this.#options.token) return this.#options.token;
    if (this.#cached && this.#cached.expiresAtMs - 60_000 > nowMs) return this.#cached.id;
    const { accessKeyId, accessKeySecret } = this.#options;
    if (!accessKeyId || !accessKeySecret) throw new Error('nls: no token and no AccessKey to fetch one');
    const require = createRequire(import.meta.url);
    const { RPCClient } = require('@alicloud/pop-core') as {
      RPCClient: new (
        o: object,
      ) => { request(action: string, params?: object, opts?: object): Promise<unknown> };
    };
    const client = new RPCClient({
      accessKeyId,
      accessKeySecret,
      endpoint: this.#options.tokenEndpoint ?? 'http://nls-meta.cn-shanghai.aliyuncs.com',
      apiVersion: '2019-02-28',
    });
    const response = (await client.request(
      'CreateToken',
      {},
      { timeout: this.#options.timeoutMs ?? 5000 },
    )) as CreateTokenResponse | undefined;
    const id = response?.Token?.Id;
    if (!id) throw new Error('nls: CreateToken returned no token');
    this.#cached = { id, expiresAtMs: (response.Token?.ExpireTime ?? nowMs / 1000 + 3600) * 1000 };
    return id;
  }
}
