/**
 * The SmartCall API as a business reaches it: Alibaba's own client library (`@alicloud/openapi-core`),
 * signed with an AccessKey. Shared by `smartcall call` and `smartcall test`.
 */
import OpenApi, * as $OpenApi from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import { dyvmsapiRpcFields } from './rpcParams.js';

// The package is CommonJS: its default export arrives wrapped once more under ESM.
const OpenApiClient = ((OpenApi as unknown as { default?: typeof OpenApi }).default ??
  OpenApi) as unknown as new (
  config: $OpenApi.$OpenApiUtil.Config,
) => {
  callApi(
    params: $OpenApi.$OpenApiUtil.Params,
    request: $OpenApi.$OpenApiUtil.OpenApiRequest,
    runtime: $dara.RuntimeOptions,
  ): Promise<{ body: Record<string, unknown> }>;
};

export interface SmartcallClientOptions {
  /** `host:port` of the API. */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
}

/** One signed RPC client of the Dyvmsapi actions over HTTP. */
export class SmartcallClient {
  readonly #client: InstanceType<typeof OpenApiClient>;
  readonly #runtime = new $dara.RuntimeOptions({});

  constructor(options: SmartcallClientOptions) {
    this.#client = new OpenApiClient(
      new $OpenApi.$OpenApiUtil.Config({
        accessKeyId: options.accessKeyId,
        accessKeySecret: options.accessKeySecret,
        endpoint: options.endpoint,
        protocol: 'http',
      }),
    );
  }

  /** Calls `action` with `query`; resolves with the response body (errors as the library throws them). */
  async call(action: string, query: Record<string, string>): Promise<Record<string, unknown>> {
    const { body } = await this.#client.callApi(
      new $OpenApi.$OpenApiUtil.Params(dyvmsapiRpcFields(action)),
      new $OpenApi.$OpenApiUtil.OpenApiRequest({ query }),
      this.#runtime,
    );
    return body;
  }
}
