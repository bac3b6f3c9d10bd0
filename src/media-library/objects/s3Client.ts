/**
 * A small S3 client (SigV4 by hand, node's fetch): PUT, multipart upload (create / part / complete
 * / abort), HEAD, ranged GET, DELETE, ListObjectsV2 and presigned GET URLs. Path-style addressing
 * (`http://host/bucket/key`, what local servers want) or virtual-hosted (`https://bucket.host/key`).
 * A refusal comes back as an {@link S3Error} carrying S3's own `<Code>` and `<Message>`.
 */
import { open } from 'node:fs/promises';
import { type Clock, systemClock } from '../../clock/clock.js';
import {
  amzDateOf,
  type Credentials,
  canonicalQuery,
  EMPTY_SHA256,
  encodedPath,
  presign,
  type SignTarget,
  sha256Hex,
  signHeaders,
  UNSIGNED_PAYLOAD,
} from './sigV4.js';

/** S3's smallest part (all but the last) of a multipart upload. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface S3ClientOptions {
  /** `http(s)://host[:port]`, no path. */
  endpoint: string;
  region: string;
  bucket: string;
  credentials: Credentials;
  /** `/bucket/key` on the endpoint's host (local servers) instead of `bucket.host/key`. */
  forcePathStyle?: boolean;
  /** Sign bodies (`x-amz-content-sha256` is their hash; default) or send UNSIGNED-PAYLOAD. */
  signPayload?: boolean;
  timeoutMs?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

/** S3 said no: `code` is S3's error code (`NoSuchKey`, `AccessDenied`, …) or the HTTP status. */
export class S3Error extends Error {
  override name = 'S3Error';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
  }
}

/** `<Code>` and `<Message>` of S3's `<Error>` document. */
export function parseS3Error(xml: string, status: number): S3Error {
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  return new S3Error(tag('Code') ?? `HTTP${status}`, tag('Message') ?? `HTTP status ${status}`, status);
}

export interface ObjectHead {
  size: number;
  etag: string;
}

export interface ListPage {
  keys: string[];
  /** The CommonPrefixes (with a delimiter). */
  prefixes: string[];
  next: string | undefined;
}

interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST' | 'HEAD' | 'DELETE';
  key: string;
  query?: [string, string][];
  headers?: Record<string, string>;
  body?: Uint8Array;
}

export class S3Client {
  readonly #o: Required<Omit<S3ClientOptions, 'fetch' | 'clock'>>;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #scheme: 'http' | 'https';
  readonly #endpointHost: string;

  constructor(options: S3ClientOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`S3 endpoint ${options.endpoint} must be http:// or https://`);
    if (url.pathname !== '/' || url.search)
      throw new Error(`S3 endpoint ${options.endpoint} must have no path (the bucket is set apart)`);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket))
      throw new Error(`S3 bucket name "${options.bucket}" is not valid (3-63 of a-z 0-9 . -)`);
    this.#scheme = url.protocol === 'http:' ? 'http' : 'https';
    this.#endpointHost = url.host;
    this.#o = {
      forcePathStyle: false,
      signPayload: true,
      timeoutMs: 60_000,
      ...options,
    };
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock ?? systemClock;
  }

  get bucket(): string {
    return this.#o.bucket;
  }

  #target(method: string, key: string, query: [string, string][] | undefined): SignTarget {
    const pathStyle = this.#o.forcePathStyle;
    return {
      method,
      host: pathStyle ? this.#endpointHost : `${this.#o.bucket}.${this.#endpointHost}`,
      path: pathStyle ? `/${this.#o.bucket}/${key}` : `/${key}`,
      ...(query && { query }),
      region: this.#o.region,
      service: 's3',
      amzDate: amzDateOf(this.#clock.now()),
    };
  }

  async #send(spec: RequestSpec): Promise<Response> {
    const t = this.#target(spec.method, spec.key, spec.query);
    const payloadHash = !spec.body
      ? EMPTY_SHA256
      : this.#o.signPayload
        ? sha256Hex(spec.body)
        : UNSIGNED_PAYLOAD;
    const toSign = { ...spec.headers, 'x-amz-content-sha256': payloadHash, 'x-amz-date': t.amzDate };
    const { authorization } = signHeaders(t, this.#o.credentials, toSign, payloadHash);
    const q = spec.query?.length ? `?${canonicalQuery(spec.query)}` : '';
    const url = `${this.#scheme}://${t.host}${encodedPath(t.path)}${q}`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: spec.method,
        headers: { ...toSign, authorization },
        ...(spec.body && { body: spec.body }),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new S3Error('NetworkError', `${spec.method} ${url.split('?')[0]}: ${cause}`, 0);
    }
    if (res.status >= 300 && !(spec.method === 'HEAD' && res.status === 404)) {
      const text = spec.method === 'HEAD' ? '' : await res.text().catch(() => '');
      throw parseS3Error(text, res.status);
    }
    return res;
  }

  async putObject(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<string> {
    const res = await this.#send({ method: 'PUT', key, body, headers: { 'content-type': contentType } });
    await res.arrayBuffer();
    return res.headers.get('etag') ?? '';
  }

  /** Bytes of an object, or a `bytes=a-b` range of them (RFC 9110 §14.1.2). */
  async getObject(key: string, range?: { start: number; end: number }): Promise<Buffer> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
    const res = await this.#send({ method: 'GET', key, headers });
    return Buffer.from(await res.arrayBuffer());
  }

  /** Size and ETag, or undefined when there is no such object. */
  async headObject(key: string): Promise<ObjectHead | undefined> {
    const res = await this.#send({ method: 'HEAD', key });
    if (res.status === 404) return undefined;
    return { size: Number(res.headers.get('content-length') ?? 0), etag: res.headers.get('etag') ?? '' };
  }

  async deleteObject(key: string): Promise<void> {
    const res = await this.#send({ method: 'DELETE', key });
    await res.arrayBuffer();
  }

  /** One page of ListObjectsV2. */
  async listObjects(prefix: string, options: { delimiter?: string; after?: string } = {}): Promise<ListPage> {
    const query: [string, string][] = [
      ['list-type', '2'],
      ['prefix', prefix],
    ];
    if (options.delimiter) query.push(['delimiter', options.delimiter]);
    if (options.after) query.push(['continuation-token', options.after]);
    const xml = await (await this.#send({ method: 'GET', key: '', query })).text();
    const all = (tag: string, within: string) =>
      [...within.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => decodeXml(m[1]!));
    const contents = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].flatMap((m) => all('Key', m[1]!));
    const prefixes = [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].flatMap((m) =>
      all('Prefix', m[1]!),
    );
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
    const next = truncated ? all('NextContinuationToken', xml)[0] : undefined;
    return { keys: contents, prefixes, next };
  }

  async createMultipartUpload(key: string, contentType = 'application/octet-stream'): Promise<string> {
    const res = await this.#send({
      method: 'POST',
      key,
      query: [['uploads', '']],
      headers: { 'content-type': contentType },
    });
    const xml = await res.text();
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(xml)?.[1];
    if (!id) throw new S3Error('InvalidResponse', 'CreateMultipartUpload answered without an UploadId', 200);
    return decodeXml(id);
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    const res = await this.#send({
      method: 'PUT',
      key,
      body,
      query: [
        ['partNumber', String(partNumber)],
        ['uploadId', uploadId],
      ],
    });
    await res.arrayBuffer();
    const etag = res.headers.get('etag');
    if (!etag) throw new S3Error('InvalidResponse', `UploadPart ${partNumber} answered without an ETag`, 200);
    return etag;
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<void> {
    const body = Buffer.from(
      '<CompleteMultipartUpload>' +
        parts
          .map(
            (p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`,
          )
          .join('') +
        '</CompleteMultipartUpload>',
    );
    const res = await this.#send({
      method: 'POST',
      key,
      body,
      query: [['uploadId', uploadId]],
      headers: { 'content-type': 'application/xml' },
    });
    // S3 may answer 200 and still fail the completion in the body.
    const xml = await res.text();
    if (/<Error>/.test(xml)) throw parseS3Error(xml, res.status);
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    const res = await this.#send({ method: 'DELETE', key, query: [['uploadId', uploadId]] });
    await res.arrayBuffer();
  }

  /**
   * Uploads a file: one PUT up to `multipartAboveBytes`, else a multipart upload of `partBytes`
   * parts read one at a time (S3 wants ≥ 5 MiB for every part but the last). A multipart upload
   * that fails is aborted, so no orphan parts are left to bill.
   */
  async uploadFile(
    key: string,
    path: string,
    options: { contentType?: string; multipartAboveBytes: number; partBytes: number },
  ): Promise<{ parts: number; bytes: number }> {
    const contentType = options.contentType ?? 'application/octet-stream';
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size <= options.multipartAboveBytes) {
        await this.putObject(key, await file.readFile(), contentType);
        return { parts: 1, bytes: size };
      }
      const uploadId = await this.createMultipartUpload(key, contentType);
      try {
        const parts: { partNumber: number; etag: string }[] = [];
        const buf = Buffer.allocUnsafe(options.partBytes);
        for (let offset = 0, n = 1; offset < size; offset += options.partBytes, n++) {
          const { bytesRead } = await file.read(buf, 0, Math.min(options.partBytes, size - offset), offset);
          parts.push({
            partNumber: n,
            etag: await this.uploadPart(key, uploadId, n, buf.subarray(0, bytesRead)),
          });
        }
        await this.completeMultipartUpload(key, uploadId, parts);
        return { parts: parts.length, bytes: size };
      } catch (err) {
        await this.abortMultipartUpload(key, uploadId).catch(() => {});
        throw err;
      }
    } finally {
      await file.close();
    }
  }

  /** A GET URL anyone may fetch for `expiresSeconds` (at most 7 days: S3's limit). */
  presignGet(key: string, expiresSeconds: number): string {
    return presign(this.#target('GET', key, undefined), this.#o.credentials, expiresSeconds, this.#scheme);
  }
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function decodeXml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
