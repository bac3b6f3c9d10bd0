/**
 * Verifies who sent a request: V3 ACS3-HMAC-SHA256 (signing exactly the headers the request lists)
 * or V1 HMAC-SHA1, then the clock window and the nonce (spec §8). The nonce is recorded only after
 * the signature checks out, so a forged request cannot burn a legitimate client's nonce.
 * Temporary keys (`STS.*`) bring their SecurityToken (V1 parameter, V3 `x-acs-security-token`);
 * it is checked before the signature, since it is what holds the secret to check it with.
 */
import type { Credential, CredentialResolver } from '../tenancy/credentials.js';
import { isTemporaryAccessKeyId, type StsProblem } from '../tenancy/stsTokens.js';
import { type GatewayError, gatewayErrors } from './apiErrors.js';
import type { NonceMemory, ReplayGuard } from './replayGuard.js';
import { header, type RpcRequest } from './rpcRequest.js';
import {
  parseV3Authorization,
  sha256Hex,
  signaturesEqual,
  v1Signature,
  v1StringToSign,
  v3CanonicalRequest,
  v3Signature,
  v3StringToSign,
} from './signatures.js';

/** Headers a V3 signature must cover (spec §8.3). */
const V3_REQUIRED_SIGNED = [
  'host',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
];

/** `yyyy-MM-ddTHH:mm:ssZ` (milliseconds tolerated), always UTC. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function parseTimestamp(value: string): number {
  if (!ISO_UTC.test(value)) throw gatewayErrors.timestampFormat();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw gatewayErrors.timestampFormat();
  return t;
}

const STS_ERRORS: Record<StsProblem, () => GatewayError> = {
  missing: gatewayErrors.missingSecurityToken,
  malformed: gatewayErrors.securityTokenMalformed,
  mismatch: gatewayErrors.securityTokenMismatch,
  expired: gatewayErrors.securityTokenExpired,
};

export class Authenticator {
  readonly #credentials: CredentialResolver;
  readonly #replay: ReplayGuard;
  readonly #nonces: NonceMemory;

  /** `nonces`: where nonces are remembered (default `replay`, this process; SharedNonces: Redis). */
  constructor(credentials: CredentialResolver, replay: ReplayGuard, nonces: NonceMemory = replay) {
    this.#credentials = credentials;
    this.#replay = replay;
    this.#nonces = nonces;
  }

  /**
   * Returns the verified credential or throws a GatewayError; a promise only when the nonce memory
   * answers later (Redis), so the in-process path stays synchronous.
   */
  authenticate(req: RpcRequest, now: number): Credential | Promise<Credential> {
    if (req.scheme === 'v3') return this.#v3(req, now);
    if (req.scheme === 'v1') return this.#v1(req, now);
    throw gatewayErrors.missingSignature();
  }

  /** `token` is the request's SecurityToken; empty counts as absent, as the SDKs omit it then. */
  #lookup(accessKeyId: string, token: string | undefined, now: number): Credential {
    if (token || isTemporaryAccessKeyId(accessKeyId)) {
      const temporary = this.#credentials.resolveTemporary(accessKeyId, token, now);
      if (typeof temporary === 'string') throw STS_ERRORS[temporary]();
      if (!temporary) throw gatewayErrors.accessKeyNotFound();
      return temporary;
    }
    const credential = this.#credentials.resolve(accessKeyId, now);
    if (!credential) throw gatewayErrors.accessKeyNotFound();
    if (credential.keyStatus !== 'active') throw gatewayErrors.accessKeyInactive();
    return credential;
  }

  #checkFreshness(
    credential: Credential,
    timestamp: number,
    nonce: string,
    now: number,
  ): Credential | Promise<Credential> {
    if (!this.#replay.timestampFresh(timestamp, now)) throw gatewayErrors.timestampExpired();
    const fresh = this.#nonces.useNonce(credential.accessKeyId, nonce, now);
    if (fresh === true) return credential;
    if (fresh === false) throw gatewayErrors.nonceUsed();
    return fresh.then((ok) => {
      if (!ok) throw gatewayErrors.nonceUsed();
      return credential;
    });
  }

  #v1(req: RpcRequest, now: number): Credential | Promise<Credential> {
    const p = req.params;
    const accessKeyId = p.get('AccessKeyId');
    if (!accessKeyId) throw gatewayErrors.missingParameter('AccessKeyId');
    const method = p.get('SignatureMethod');
    if (!method) throw gatewayErrors.missingParameter('SignatureMethod');
    if (method !== 'HMAC-SHA1') throw gatewayErrors.unsupportedSignatureMethod(method);
    const version = p.get('SignatureVersion');
    if (!version) throw gatewayErrors.missingParameter('SignatureVersion');
    if (version !== '1.0') throw gatewayErrors.unsupportedSignatureVersion(version);
    const nonce = p.get('SignatureNonce');
    if (!nonce) throw gatewayErrors.missingParameter('SignatureNonce');
    const timestampText = p.get('Timestamp');
    if (!timestampText) throw gatewayErrors.missingParameter('Timestamp');
    const timestamp = parseTimestamp(timestampText);

    const credential = this.#lookup(accessKeyId, p.get('SecurityToken'), now);
    const signed: [string, string][] = [];
    for (const entry of p) if (entry[0] !== 'Signature') signed.push(entry);
    const stringToSign = v1StringToSign(req.raw.method, signed);
    const expected = v1Signature(credential.secret, stringToSign);
    if (!signaturesEqual(expected, p.get('Signature') ?? ''))
      throw gatewayErrors.signatureDoesNotMatch(stringToSign);
    return this.#checkFreshness(credential, timestamp, nonce, now);
  }

  #v3(req: RpcRequest, now: number): Credential | Promise<Credential> {
    const h = req.raw.headers;
    const auth = parseV3Authorization(header(h, 'authorization') ?? '');
    if (!auth) {
      const scheme = (header(h, 'authorization') ?? '').split(/\s/, 1)[0] ?? '';
      if (scheme !== 'ACS3-HMAC-SHA256') throw gatewayErrors.unsupportedSignatureMethod(scheme);
      throw gatewayErrors.incompleteSignature(
        'Authorization must be "ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...".',
      );
    }
    for (const name of V3_REQUIRED_SIGNED) {
      if (header(h, name) === undefined)
        throw gatewayErrors.incompleteSignature(`Header ${name} is missing.`);
      if (!auth.signedHeaders.includes(name))
        throw gatewayErrors.incompleteSignature(`Header ${name} must be signed.`);
    }
    if (header(h, 'content-type') !== undefined && !auth.signedHeaders.includes('content-type')) {
      throw gatewayErrors.incompleteSignature('Header content-type must be signed.');
    }
    const timestamp = parseTimestamp(header(h, 'x-acs-date')!);
    const nonce = header(h, 'x-acs-signature-nonce')!;

    const credential = this.#lookup(auth.accessKeyId, header(h, 'x-acs-security-token'), now);
    const payloadHash = sha256Hex(req.raw.body);
    const canonical = v3CanonicalRequest({
      method: req.raw.method,
      query: req.query,
      signedHeaders: auth.signedHeaders,
      headerValue: (name) => header(h, name),
      payloadHash,
    });
    const stringToSign = v3StringToSign(canonical);
    if (
      header(h, 'x-acs-content-sha256') !== payloadHash ||
      !signaturesEqual(v3Signature(credential.secret, stringToSign), auth.signature)
    ) {
      throw gatewayErrors.signatureDoesNotMatch(stringToSign);
    }
    return this.#checkFreshness(credential, timestamp, nonce, now);
  }
}
