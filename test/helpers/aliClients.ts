/**
 * The real Alibaba Cloud client libraries, used exactly as a business would use them, behind one
 * small interface so a test can run the same case through every client:
 * - `core`: @alicloud/openapi-core callApi (what the generated Dyvmsapi SDK 4.x runs on), V3
 * - `v3`:  @alicloud/openapi-client callApi, RPC style, default ACS3-HMAC-SHA256 signature
 * - `v2`:  the same client with signatureAlgorithm 'v2' (HMAC-SHA1, params in the query)
 * - `popGet` / `popPost`: @alicloud/pop-core RPCClient (query string / form body)
 */

import OpenApi from '@alicloud/openapi-client';
import OpenApiCore, * as $OpenApiCore from '@alicloud/openapi-core';
import RPCClient from '@alicloud/pop-core';
import Util from '@alicloud/tea-util';
import * as $dara from '@darabonba/typescript';
import { dyvmsapiRpcFields } from '../../src/cli/rpcParams.js';

export type ClientName = 'core' | 'v3' | 'v2' | 'popGet' | 'popPost';
export const CLIENTS: ClientName[] = ['core', 'v3', 'v2', 'popGet', 'popPost'];
/** The clients that return business errors normally and expose the HTTP status. */
export const isOfficialSdk = (c: ClientName) => c === 'core' || c === 'v3' || c === 'v2';

export interface CallOutcome {
  /** HTTP status when the client reveals it. */
  status?: number;
  /** `Code` of the response or of the thrown error. */
  code: string;
  body?: Record<string, unknown>;
  /** The thrown error's class/name, when the client threw. */
  errorName?: string;
  message?: string;
  /** `ThrottlingError.retryAfter` (the official SDK's reading of `x-acs-retry-after`). */
  retryAfter?: number;
}

export interface ClientOptions {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** STS credentials: each client's own SecurityToken path. */
  securityToken?: string;
}

// The packages are CommonJS with a default export wrapped differently by each build.
// biome-ignore lint/suspicious/noExplicitAny: third-party CJS interop
const OpenApiClient: any = (OpenApi as any).default ?? OpenApi;
// biome-ignore lint/suspicious/noExplicitAny: third-party CJS interop
const OA: any = OpenApi;
// biome-ignore lint/suspicious/noExplicitAny: third-party CJS interop
const TeaUtil: any = Util;
// biome-ignore lint/suspicious/noExplicitAny: third-party CJS interop
const Pop: any = (RPCClient as any).default ?? RPCClient;

function openApiClient(o: ClientOptions, v2: boolean) {
  return new OpenApiClient(
    new OA.Config({
      accessKeyId: o.accessKeyId,
      accessKeySecret: o.accessKeySecret,
      securityToken: o.securityToken,
      endpoint: o.endpoint,
      protocol: 'http',
      ...(v2 ? { signatureAlgorithm: 'v2' } : {}),
    }),
  );
}

function rpcParams(action: string) {
  return new OA.Params(dyvmsapiRpcFields(action));
}

export interface CallOptions {
  /** Extra headers for the official SDK (they override its own, e.g. a fixed nonce). */
  headers?: Record<string, string>;
}

export async function callAction(
  client: ClientName,
  o: ClientOptions,
  action: string,
  params: Record<string, string>,
  options: CallOptions = {},
): Promise<CallOutcome> {
  try {
    if (client === 'core') {
      // biome-ignore lint/suspicious/noExplicitAny: third-party CJS interop
      const sdk = new ((OpenApiCore as any).default ?? OpenApiCore)(
        new $OpenApiCore.$OpenApiUtil.Config({
          accessKeyId: o.accessKeyId,
          accessKeySecret: o.accessKeySecret,
          securityToken: o.securityToken,
          endpoint: o.endpoint,
          protocol: 'http',
        }),
      );
      const r = await sdk.callApi(
        new $OpenApiCore.$OpenApiUtil.Params(dyvmsapiRpcFields(action)),
        new $OpenApiCore.$OpenApiUtil.OpenApiRequest({ query: params, headers: options.headers }),
        new $dara.RuntimeOptions({}),
      );
      return { status: r.statusCode, code: String(r.body.Code), body: r.body };
    }
    if (client === 'v3' || client === 'v2') {
      const sdk = openApiClient(o, client === 'v2');
      const r = await sdk.callApi(
        rpcParams(action),
        new OA.OpenApiRequest({ query: params, headers: options.headers }),
        new TeaUtil.RuntimeOptions({}),
      );
      return { status: r.statusCode, code: String(r.body.Code), body: r.body };
    }
    const pop = new Pop({
      accessKeyId: o.accessKeyId,
      accessKeySecret: o.accessKeySecret,
      securityToken: o.securityToken,
      endpoint: `http://${o.endpoint}`,
      apiVersion: '2017-05-25',
    });
    const body = await pop.request(action, params, client === 'popPost' ? { method: 'POST' } : {});
    return { code: String(body.Code), body: { ...body } };
  } catch (err) {
    // biome-ignore lint/suspicious/noExplicitAny: errors of three client libraries
    const e = err as any;
    return {
      status: e.statusCode,
      code: String(e.code ?? e.data?.Code ?? e.name),
      body: e.data,
      errorName: e.name,
      message: e.message,
      retryAfter: e.retryAfter,
    };
  }
}
