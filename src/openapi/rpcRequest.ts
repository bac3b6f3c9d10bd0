/**
 * Turns an HTTP request into an RPC request: one of the three shapes of spec §2.1 (V3 with query
 * params; V1 with query params; V1 with a form body), its parameters, action, version and the
 * response format it wants.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, gatewayErrors } from './apiErrors.js';
import { MalformedEncodingError, parseUrlEncoded } from './percentEncoding.js';
import { formatFromParam, type ResponseFormat } from './responseFormat.js';

export interface RawHttpRequest {
  method: string;
  /** The part of the URL after `?`, still encoded. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SignatureScheme = 'v3' | 'v1' | 'none';

export interface RpcRequest {
  raw: RawHttpRequest;
  scheme: SignatureScheme;
  format: ResponseFormat;
  /** Decoded query pairs in wire order (V3 signs exactly these). */
  query: [string, string][];
  /** Query ∪ form body. Names are unique (duplicates are refused). */
  params: Map<string, string>;
  action: string | undefined;
  version: string | undefined;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function isFormBody(headers: IncomingHttpHeaders): boolean {
  return (header(headers, 'content-type') ?? '')
    .toLowerCase()
    .startsWith('application/x-www-form-urlencoded');
}

/** Throws GatewayError (with the format already known where possible) for undecodable input. */
export function parseRpcRequest(raw: RawHttpRequest): RpcRequest {
  const scheme: SignatureScheme = (header(raw.headers, 'authorization') ?? '').startsWith('ACS3-')
    ? 'v3'
    : 'none';
  let query: [string, string][];
  let form: [string, string][] = [];
  try {
    query = parseUrlEncoded(raw.rawQuery);
    if (raw.body.length > 0 && isFormBody(raw.headers)) form = parseUrlEncoded(raw.body.toString('utf8'));
  } catch (err) {
    if (err instanceof MalformedEncodingError) throw gatewayErrors.malformedEncoding(err.message);
    throw err;
  }
  const params = new Map<string, string>();
  let duplicate: string | undefined;
  for (const [k, v] of query.length && form.length ? query.concat(form) : query.length ? query : form) {
    if (params.has(k)) duplicate ??= k;
    params.set(k, v);
  }
  const finalScheme: SignatureScheme = scheme === 'v3' ? 'v3' : params.has('Signature') ? 'v1' : 'none';
  const request: RpcRequest = {
    raw,
    scheme: finalScheme,
    format: finalScheme === 'v3' ? 'JSON' : formatFromParam(params.get('Format')),
    query,
    params,
    action: finalScheme === 'v3' ? header(raw.headers, 'x-acs-action') : params.get('Action'),
    version: finalScheme === 'v3' ? header(raw.headers, 'x-acs-version') : params.get('Version'),
  };
  // Spec §10 Q10: a repeated name would make the signature ambiguous.
  if (duplicate !== undefined) throw withFormat(gatewayErrors.duplicateParameter(duplicate), request.format);
  return request;
}

/** A gateway error that already knows how its response must be rendered. */
export class FormattedGatewayError extends GatewayError {
  readonly format: ResponseFormat;
  constructor(error: GatewayError, format: ResponseFormat) {
    super(error.code, error.status, error.message, error.headers);
    this.format = format;
  }
}

export function withFormat(error: GatewayError, format: ResponseFormat): FormattedGatewayError {
  return new FormattedGatewayError(error, format);
}
