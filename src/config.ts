/**
 * Typed configuration with embedded defaults.
 *
 * Precedence (highest first): command-line flags, SMARTCALL_* environment variables, the config file
 * (JSON or YAML, chosen by extension), the defaults below. Everything is validated once here so the
 * rest of the system can trust it.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { phonenetConfigSchema } from './phonenet/phonenetConfig.js';
import { speechConfigSchema } from './speech/speechConfig.js';

const port = z.number().int().min(0).max(65535);
/** An address peers are told to use (NAT): a specific IP literal, never 0.0.0.0 or ::. */
const advertisedAddress = z
  .ipv4()
  .or(z.ipv6())
  .refine((a) => !/^[0.:]+$/.test(a), 'an advertised address must be a specific address, not 0.0.0.0 or ::')
  .optional();

/** S3-compatible object storage for recordings (issue 15). */
const s3StorageSchema = z
  .object({
    kind: z.literal('s3'),
    /** `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`: scheme, host, port; no path. */
    endpoint: z.url({ protocol: /^https?$/ }).refine((u) => {
      const url = new URL(u);
      return url.pathname === '/' && !url.search;
    }, 'an S3 endpoint is http(s)://host[:port] with no path (the bucket is set apart)'),
    region: z.string().min(1).default('us-east-1'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 of a-z 0-9 . -'),
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    /** Put before every key (e.g. `recordings/`). */
    prefix: z.string().default(''),
    /** `endpoint/bucket/key` (local servers, MinIO) instead of `bucket.endpoint/key`. */
    forcePathStyle: z.boolean().default(false),
    /** Recordings above this size go up as a multipart upload. */
    multipartAboveBytes: z
      .number()
      .int()
      .min(1)
      .default(16 * 1024 * 1024),
    /** Part size of a multipart upload (S3: at least 5 MiB). */
    partBytes: z
      .number()
      .int()
      .min(5 * 1024 * 1024)
      .default(8 * 1024 * 1024),
  })
  .strict();
const recordingStorageSchema = z
  .discriminatedUnion('kind', [z.object({ kind: z.literal('disk') }).strict(), s3StorageSchema])
  .default({ kind: 'disk' });
export type S3StorageConfig = z.infer<typeof s3StorageSchema>;

export const configSchema = z
  .object({
    /** `embedded`: one process with a demo account and the virtual phone network as the default trunk. */
    mode: z.enum(['embedded', 'standalone']).default('embedded'),
    /**
     * What this process runs (issue 15): `all` is everything in one process (the default); `api`
     * only the HTTP API, `media` SIP, RTP, speech and dialogue for calls it claims from the shared
     * queue, `receipts` only the receipt pusher, `scheduler` places queued calls on the least-loaded
     * media node (one active, the others standing by), on the shared store (docs/scale-out.md).
     */
    role: z.enum(['all', 'api', 'scheduler', 'media', 'receipts']).default('all'),
    store: z
      .object({
        /** `sqlite` (the data directory's database, the default) or `postgres://…` (a shared PostgreSQL). */
        url: z
          .string()
          .refine((u) => u === 'sqlite' || /^postgres(ql)?:\/\/./.test(u), {
            message: 'must be sqlite or a postgres:// URL',
          })
          .default('sqlite'),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().min(1).default('./data'),
    /** Master key for secrets at rest. Without it a key file `<dataDir>/master.key` is generated. */
    masterKey: z.string().min(16).optional(),
    /** A short identifier of this node, part of every CallId it makes (0–99999). Random when unset. */
    nodeId: z.number().int().min(0).max(99999).optional(),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(8080),
      })
      .prefault({}),
    api: z
      .object({
        /** Echoed as `HostId` in gateway errors, as Alibaba's gateway does. */
        hostId: z.string().default('dyvmsapi.aliyuncs.com'),
        /** Allowed distance between the request's timestamp and the server clock (spec §10 Q11). */
        clockSkewSeconds: z.number().int().min(1).default(900),
        /** How long a signature nonce is remembered per AccessKey. */
        nonceTtlSeconds: z.number().int().min(1).default(900),
        /** Requests per second per account unless the account sets its own. */
        defaultQps: z.number().int().min(1).default(1000),
        /**
         * Per-API limits per account (action → requests per second), over the documented ones
         * (SmartCall 1000/s, QueryCallDetailByCallId and SmartCallOperate 100/s): Throttling.Api.
         */
        apiQps: z.record(z.string(), z.number().int().min(1)).default({}),
        /** HTTP status of business errors (`isv.*`); spec §10 Q7 recommends 200. */
        businessErrorStatus: z.number().int().min(200).max(599).default(200),
        /** OutId length limit in UTF-8 bytes (spec §10 Q16). */
        outIdMaxBytes: z.number().int().min(1).default(15),
      })
      .prefault({}),
    sip: z
      .object({
        /**
         * IP literal the SIP sockets bind (and RTP's unless `rtp.address`). `0.0.0.0` / `::` binds
         * every interface; then each message names the address the OS routes toward its peer.
         */
        address: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
        /** What trunks reach us at when it is not the bound address (1:1 NAT): Via sent-by, Contact. */
        advertisedAddress,
        udpPort: port.default(5060),
        tcpPort: port.default(5060),
        /** RFC 3261 timer T1, ms (T2 and T4 follow the RFC defaults). */
        t1Ms: z.number().int().min(10).max(5000).default(500),
        /**
         * DNS servers for host names (network prompt files; SIP trunks later), `host:port` each
         * (`[v6]:port` for IPv6; port 53 when left out). Empty: the system's resolver.
         */
        dnsServers: z
          .array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:]+|[^\s:[\]]+)(:\d{1,5})?$/))
          .default([]),
        /** SIP over TLS. Outgoing TLS (sips: trunks) works without any of it (system CAs). */
        tls: z
          .object({
            /** TLS listener port (inbound TLS; in-dialog requests on new connections). Absent: none. */
            port: port.optional(),
            /** PEM certificate (chain) and key the listener presents. */
            certFile: z.string().min(1).optional(),
            keyFile: z.string().min(1).optional(),
            /** PEM CA certificates trusted beside the system's for trunks, and for client certificates. */
            caFile: z.string().min(1).optional(),
            /** The listener refuses callers without a certificate from `caFile`. */
            requireClientCert: z.boolean().default(false),
            /** Client certificate and key presented to every TLS trunk that asks (a trunk's own win). */
            clientCertFile: z.string().min(1).optional(),
            clientKeyFile: z.string().min(1).optional(),
          })
          .strict()
          .refine((t) => t.port === undefined || (t.certFile !== undefined && t.keyFile !== undefined), {
            message: 'a TLS listener (sip.tls.port) needs sip.tls.certFile and sip.tls.keyFile',
          })
          .refine((t) => !t.requireClientCert || t.caFile !== undefined, {
            message: 'sip.tls.requireClientCert needs sip.tls.caFile',
          })
          .refine((t) => (t.clientCertFile === undefined) === (t.clientKeyFile === undefined), {
            message: 'give both sip.tls.clientCertFile and sip.tls.clientKeyFile, or neither',
          })
          .prefault({}),
      })
      .prefault({}),
    rtp: z
      .object({
        portMin: port.default(20000),
        portMax: port.default(29999),
        /** IP literal the RTP sockets bind (default: `sip.address`). */
        address: z.ipv4().or(z.ipv6()).optional(),
        /** What media peers send RTP to (SDP c=/o=) when it is not the bound address (default: `sip.advertisedAddress`). */
        advertisedAddress,
      })
      .prefault({}),
    calls: z
      .object({
        /**
         * Place accepted calls from this process. Off for a node that only serves the API (the calls
         * wait in the shared store for a dialing node).
         */
        dialer: z.boolean().default(true),
        /** A call not answered within this time is cancelled (200003 NO_ANSWER). */
        ringTimeoutSeconds: z.number().int().min(5).max(600).default(60),
        /** Check trunks' OPTIONS keep-alive as each trunk configures it. */
        trunkKeepAlive: z.boolean().default(true),
        /**
         * On SIGTERM or SIGINT, the calls in progress get this long to end by themselves while no new
         * call starts (OPTIONS and INVITEs get 503); the rest are then hung up. 0 hangs up at once.
         */
        drainSeconds: z.number().int().min(0).max(86_400).default(30),
        /** Call centres for `parallel_transfer`: cc_name → number dialled through the call's trunk. */
        callCenters: z.record(z.string(), z.string().regex(/^\+?\d{3,20}$/)).default({}),
        /**
         * Media nodes (`--role media`): how long a node's claim on a queued call, and its lease on a
         * call in progress, hold (renewed at a third of it while the node lives). A node that dies
         * leaves its queued calls to the others, and its calls in progress to be finalised, after this.
         */
        leaseSeconds: z.number().int().min(1).max(600).default(5),
        /**
         * Media nodes: calls at most one node carries (held and in progress); default as many as its
         * RTP port range has pairs (and never more).
         */
        nodeCapacity: z.number().int().min(1).max(100_000).optional(),
        /** Media nodes: how often the shared queue is looked at when it was empty. */
        queuePollMs: z.number().int().min(20).max(60_000).default(250),
      })
      .prefault({}),
    recordings: z
      .object({
        /** Where recordings go (default `<dataDir>/recordings`). */
        dir: z.string().min(1).optional(),
        /** Recordings older than this are deleted (0 keeps them forever). */
        retentionDays: z.number().int().min(0).default(30),
        /** How long a recording URL in VoiceRecordReport stays valid (spec §5.4: 7 days). */
        urlValidDays: z.number().int().min(1).max(365).default(7),
        /** Base of recording URLs, e.g. https://smartcall.example.com (default: this server's address). */
        publicBaseUrl: z.url().optional(),
        /**
         * Where finished recordings are kept: `disk` (the recordings folder, served by this server's
         * signed links) or `s3`, S3-compatible object storage (uploaded after the call, links are
         * presigned GETs; docs/recordings.md).
         */
        storage: recordingStorageSchema,
      })
      .superRefine((r, ctx) => {
        if (r.storage.kind === 's3' && r.urlValidDays > 7)
          ctx.addIssue({
            code: 'custom',
            path: ['urlValidDays'],
            message: 'with recordings in S3 storage, links are valid 7 days at most (S3 presigned URLs)',
          });
      })
      .prefault({}),
    media: z
      .object({
        /**
         * Threads that carry calls' media (RTP, jitter buffers, playout, recording): a number, 0 for
         * the main thread alone, or `auto` for one per core (the main thread alone on one core).
         * SIP, the dialogue and the store stay on the main thread whatever this says.
         */
        workers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).default(0),
        /**
         * Fetch network prompt files from any address, private and loopback included: the same as
         * `urlAllowlist: ['0.0.0.0/0', '::/0']` (tests, or a fully trusted network).
         */
        allowPrivateUrls: z.boolean().default(false),
        /**
         * Host names (`prompts.lan`, `*.prompts.lan`) and CIDRs (`10.20.0.0/16`, `fd00::/8`) whose
         * private, loopback or link-local addresses network prompt files may come from. Public
         * addresses need no entry.
         */
        urlAllowlist: z.array(z.string().min(1)).default([]),
        /** PEM file of extra CA certificates trusted for HTTPS prompt files (beside the system's). */
        caFile: z.string().min(1).optional(),
        /** A cached network file is played this long before the server is asked again (ETag / Last-Modified). */
        networkFileFreshSeconds: z.number().int().min(0).default(60),
        networkFileMaxBytes: z
          .number()
          .int()
          .min(1024)
          .default(20 * 1024 * 1024),
        networkFileTimeoutMs: z.number().int().min(100).default(5000),
      })
      .prefault({}),
    receipts: z
      .object({
        timeoutMs: z.number().int().min(100).default(700),
        retryDelaysSeconds: z.array(z.number().int().min(1)).default([60, 300, 600]),
        /**
         * Receipt nodes (`--role receipts`): how long a node's claim on receipts holds (renewed
         * while it sends); a node that dies has its receipts sent by another after this.
         */
        leaseSeconds: z.number().int().min(1).max(3600).default(30),
        /** Receipt nodes: how often the shared outbox is looked at (other nodes write it). */
        pollMs: z.number().int().min(50).max(60_000).default(1000),
      })
      .prefault({}),
    phonenet: phonenetConfigSchema.prefault({}),
    speech: speechConfigSchema.prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** `pretty`: readable lines; `json`: one JSON object a line; `auto`: pretty on a terminal. */
        format: z.enum(['auto', 'pretty', 'json']).default('auto'),
      })
      .prefault({}),
    cluster: z
      .object({
        /**
         * Where a media node listens for operations the API nodes forward to it (SmartCallOperate on a
         * call it owns): an internal HTTP endpoint, every request signed with an HMAC of its body
         * under a key derived from masterKey. Host defaults to `http.host`; port 0 picks a free one
         * (the node card in Redis carries the URL). Only used with `--role media` and `redis.url`.
         */
        internalHost: z.string().min(1).optional(),
        internalPort: port.default(0),
      })
      .strict()
      .prefault({}),
    scheduler: z
      .object({
        /** `--role scheduler`: how often the active scheduler places queued calls. */
        tickMs: z.number().int().min(20).max(5000).default(250),
        /** How long a call's assignment to a media node holds unclaimed before it is placed again. */
        assignmentMs: z.number().int().min(500).max(60_000).default(3000),
        /**
         * How long the active scheduler's beacon lives unrenewed: once it lapses (the scheduler died,
         * stalled or sees no media node) media nodes claim any queued call themselves.
         */
        graceMs: z.number().int().min(500).max(60_000).default(2000),
        /** Calls placed at most per tick. */
        batch: z.number().int().min(1).max(10_000).default(200),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /**
         * Redis shared by the API nodes (`redis://[user:pass@]host:port[/db]`, `rediss://` for TLS):
         * signature nonces and request QPS then hold across nodes (docs/scale-out.md). Absent: in-process.
         */
        url: z
          .string()
          .regex(/^rediss?:\/\/[^\s/]+(\/\d{1,2})?\/?$/, 'must be redis://host:port[/db] or rediss://…')
          .optional(),
        /** Prefix of every key smartcall writes, so several deployments can share one Redis. */
        keyPrefix: z.string().min(1).max(64).default('smartcall:'),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /**
         * Bearer token `GET /metrics` asks for. Without it the figures are served only while the
         * API listens on loopback (docs/architecture.md, observability).
         */
        token: z.string().min(16, 'the metrics token must have at least 16 characters').optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Overrides that come from the command line. */
export interface ConfigOverrides {
  configFile?: string;
  dataDir?: string;
  httpPort?: number;
  httpHost?: string;
  logLevel?: string;
  /** `auto`, `pretty` or `json`. */
  logFormat?: string;
  /** Bearer token for `GET /metrics`. */
  metricsToken?: string;
  /** SIP port (UDP and TCP). */
  sipPort?: number;
  /** SIP over TLS listener port. */
  sipTlsPort?: number;
  /** Extra persona files for the embedded virtual phone network. */
  personasFiles?: string[];
  /** Media worker threads (`auto`: one per core). */
  mediaWorkers?: number | 'auto';
  /** Seconds the calls in progress get to end on SIGTERM/SIGINT. */
  drainSeconds?: number;
  /** `all` or a role of distributed mode. */
  role?: string;
  /** `sqlite` or `postgres://…`. */
  storeUrl?: string;
  /** Redis URL (`serve --redis`). */
  redisUrl?: string;
  /** Recordings to S3 storage: `http(s)://endpoint/bucket[/prefix/][?region=…]`, path-style. */
  recordingsS3?: string;
}

/**
 * `http(s)://host[:port]/bucket[/prefix/][?region=r]` → the S3 settings it names (path-style:
 * the bucket is in the path). Credentials never come from here (a command line is visible to
 * every user of the machine): they come from the environment or the config file.
 */
export function s3SettingsFromUrl(name: string, value: string): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL like http://127.0.0.1:9000/bucket/prefix/, got "${value}"`);
  }
  const [bucket, ...rest] = url.pathname.replace(/^\//, '').split('/');
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bucket || url.username || url.password)
    throw new ConfigError(
      `${name} must be http(s)://host[:port]/bucket[/prefix/] with no credentials in it, got "${value}"`,
    );
  const prefix = rest.join('/');
  const region = url.searchParams.get('region');
  return {
    kind: 's3',
    endpoint: url.origin,
    bucket: decodeURIComponent(bucket),
    forcePathStyle: true,
    ...(prefix && { prefix: decodeURIComponent(prefix.endsWith('/') ? prefix : `${prefix}/`) }),
    ...(region && { region }),
  };
}

/** The S3 storage settings from SMARTCALL_S3_* (endpoint or bucket switches storage to S3). */
function s3SettingsFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  if (!env.SMARTCALL_S3_ENDPOINT && !env.SMARTCALL_S3_BUCKET) return undefined;
  const pathStyle = env.SMARTCALL_S3_FORCE_PATH_STYLE;
  if (pathStyle && !/^(true|false|1|0)$/.test(pathStyle))
    throw new ConfigError(`SMARTCALL_S3_FORCE_PATH_STYLE must be true or false, got "${pathStyle}"`);
  return Object.fromEntries(
    Object.entries({
      kind: 's3',
      endpoint: env.SMARTCALL_S3_ENDPOINT || undefined,
      bucket: env.SMARTCALL_S3_BUCKET || undefined,
      region: env.SMARTCALL_S3_REGION || undefined,
      prefix: env.SMARTCALL_S3_PREFIX || undefined,
      forcePathStyle: pathStyle ? /^(true|1)$/.test(pathStyle) : undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

/** Lays S3 settings over the ones already in `input` (file, then env, then flag). */
function mergeStorage(input: Record<string, unknown>, settings: Record<string, unknown> | undefined): void {
  if (!settings) return;
  const recordings = (input.recordings ?? {}) as Record<string, unknown>;
  const current = recordings.storage as Record<string, unknown> | undefined;
  const base = current?.kind === 's3' ? current : {};
  setPath(input, ['recordings', 'storage'], { ...base, ...settings });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
}

function intFromEnv(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${value}"`);
  return n;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  if (value === undefined) return;
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** Builds the effective configuration; throws ConfigError naming the offending setting. */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = overrides.configFile ?? env.SMARTCALL_CONFIG;
  const raw = (file ? readConfigFile(file) : {}) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`config file ${file} must hold an object`);
  const input = structuredClone(raw) as Record<string, unknown>;

  setPath(input, ['mode'], env.SMARTCALL_MODE || undefined);
  setPath(input, ['role'], env.SMARTCALL_ROLE || undefined);
  setPath(input, ['store', 'url'], env.SMARTCALL_STORE_URL || undefined);
  setPath(input, ['dataDir'], env.SMARTCALL_DATA_DIR || undefined);
  setPath(input, ['masterKey'], env.SMARTCALL_MASTER_KEY || undefined);
  setPath(input, ['nodeId'], intFromEnv('SMARTCALL_NODE_ID', env.SMARTCALL_NODE_ID));
  setPath(input, ['http', 'port'], intFromEnv('SMARTCALL_HTTP_PORT', env.SMARTCALL_HTTP_PORT));
  setPath(input, ['http', 'host'], env.SMARTCALL_HTTP_HOST || undefined);
  setPath(input, ['log', 'level'], env.SMARTCALL_LOG_LEVEL || undefined);
  setPath(input, ['log', 'format'], env.SMARTCALL_LOG_FORMAT || undefined);
  setPath(input, ['metrics', 'token'], env.SMARTCALL_METRICS_TOKEN || undefined);
  setPath(input, ['sip', 'address'], env.SMARTCALL_SIP_ADDRESS || undefined);
  setPath(input, ['sip', 'advertisedAddress'], env.SMARTCALL_SIP_ADVERTISED_ADDRESS || undefined);
  setPath(input, ['rtp', 'address'], env.SMARTCALL_RTP_ADDRESS || undefined);
  setPath(input, ['rtp', 'advertisedAddress'], env.SMARTCALL_RTP_ADVERTISED_ADDRESS || undefined);
  setPath(input, ['sip', 'udpPort'], intFromEnv('SMARTCALL_SIP_PORT', env.SMARTCALL_SIP_PORT));
  setPath(input, ['sip', 'tcpPort'], intFromEnv('SMARTCALL_SIP_PORT', env.SMARTCALL_SIP_PORT));
  const dnsServers = env.SMARTCALL_DNS_SERVERS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  setPath(input, ['sip', 'dnsServers'], dnsServers?.length ? dnsServers : undefined);
  setPath(input, ['sip', 'tls', 'port'], intFromEnv('SMARTCALL_SIP_TLS_PORT', env.SMARTCALL_SIP_TLS_PORT));
  setPath(input, ['sip', 'tls', 'certFile'], env.SMARTCALL_SIP_TLS_CERT_FILE || undefined);
  setPath(input, ['sip', 'tls', 'keyFile'], env.SMARTCALL_SIP_TLS_KEY_FILE || undefined);
  setPath(input, ['sip', 'tls', 'caFile'], env.SMARTCALL_SIP_TLS_CA_FILE || undefined);
  setPath(input, ['phonenet', 'sipPort'], intFromEnv('SMARTCALL_PHONENET_PORT', env.SMARTCALL_PHONENET_PORT));
  setPath(input, ['redis', 'url'], env.SMARTCALL_REDIS_URL || undefined);
  setPath(
    input,
    ['media', 'workers'],
    mediaWorkersFrom('SMARTCALL_MEDIA_WORKERS', env.SMARTCALL_MEDIA_WORKERS),
  );
  setPath(
    input,
    ['calls', 'drainSeconds'],
    intFromEnv('SMARTCALL_DRAIN_SECONDS', env.SMARTCALL_DRAIN_SECONDS),
  );

  mergeStorage(input, s3SettingsFromEnv(env));
  mergeStorage(
    input,
    overrides.recordingsS3 ? s3SettingsFromUrl('--recordings-s3', overrides.recordingsS3) : undefined,
  );
  const storage = (input.recordings as { storage?: Record<string, unknown> } | undefined)?.storage;
  if (storage?.kind === 's3') {
    // Secrets from the environment win over the file (and never come from a flag).
    if (env.SMARTCALL_S3_ACCESS_KEY_ID) storage.accessKeyId = env.SMARTCALL_S3_ACCESS_KEY_ID;
    if (env.SMARTCALL_S3_SECRET_ACCESS_KEY) storage.secretAccessKey = env.SMARTCALL_S3_SECRET_ACCESS_KEY;
  }

  setPath(input, ['dataDir'], overrides.dataDir);
  setPath(input, ['http', 'port'], overrides.httpPort);
  setPath(input, ['http', 'host'], overrides.httpHost);
  setPath(input, ['sip', 'udpPort'], overrides.sipPort);
  setPath(input, ['sip', 'tcpPort'], overrides.sipPort);
  setPath(input, ['sip', 'tls', 'port'], overrides.sipTlsPort);
  setPath(input, ['media', 'workers'], overrides.mediaWorkers);
  setPath(input, ['calls', 'drainSeconds'], overrides.drainSeconds);
  setPath(input, ['role'], overrides.role);
  setPath(input, ['store', 'url'], overrides.storeUrl);
  setPath(input, ['redis', 'url'], overrides.redisUrl);
  if (overrides.personasFiles) {
    // Flag files come on top of the config file's, as `smartcall phonenet --personas` adds them.
    const fromFile = (input.phonenet as { personasFiles?: unknown } | undefined)?.personasFiles;
    setPath(
      input,
      ['phonenet', 'personasFiles'],
      [...(Array.isArray(fromFile) ? fromFile : []), ...overrides.personasFiles],
    );
  }
  setPath(input, ['log', 'level'], overrides.logLevel);
  setPath(input, ['log', 'format'], overrides.logFormat);
  setPath(input, ['metrics', 'token'], overrides.metricsToken);

  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    throw new ConfigError(`invalid configuration at ${where}: ${issue.message}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

/** `auto`, or a whole number of media worker threads, from an environment variable or a flag. */
export function mediaWorkersFrom(name: string, value: string | undefined): number | 'auto' | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new ConfigError(
      `${name} must be auto or a whole number from 0 to 64, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** How many media worker threads to start: `auto` is one per core, and none on a single core. */
export function mediaWorkerCount(config: Config): number {
  const workers = config.media.workers;
  if (workers !== 'auto') return workers;
  const cores = availableParallelism();
  return cores > 1 ? cores : 0;
}

/** The addresses the telephony core binds and advertises (SIP, and RTP which defaults to SIP's). */
export function networkAddresses(config: Config): {
  address: string;
  advertisedAddress: string | undefined;
  rtpAddress: string;
  rtpAdvertisedAddress: string | undefined;
} {
  return {
    address: config.sip.address,
    advertisedAddress: config.sip.advertisedAddress,
    rtpAddress: config.rtp.address ?? config.sip.address,
    rtpAdvertisedAddress: config.rtp.advertisedAddress ?? config.sip.advertisedAddress,
  };
}

/**
 * The roles and stores built so far (issue 15), refused by name otherwise: `all` on SQLite (one
 * process); `api`, `scheduler`, `media` and `receipts` on PostgreSQL. Throws ConfigError.
 */
export function checkRole(config: Pick<Config, 'role' | 'store' | 'masterKey'>): void {
  const postgres = config.store.url !== 'sqlite';
  if (config.role === 'scheduler' && !postgres)
    throw new ConfigError(
      '--role scheduler needs PostgreSQL: it places the calls of the shared queue, which exists only there (--store postgres://…, SMARTCALL_STORE_URL, store.url); on SQLite the single process places its own calls',
    );
  if (config.role === 'all' && postgres)
    throw new ConfigError(
      'not yet: --role all runs on SQLite only; on PostgreSQL run --role api, media or receipts',
    );
  if (config.role !== 'all' && !postgres)
    throw new ConfigError(
      `not yet: --role ${config.role} needs a shared store: --store postgres://… (SMARTCALL_STORE_URL, store.url)`,
    );
  if ((config.role === 'api' || config.role === 'media') && config.masterKey === undefined)
    throw new ConfigError(
      `--role ${config.role} needs masterKey (SMARTCALL_MASTER_KEY): every node must open the secrets sealed in the shared store`,
    );
}
