/**
 * Verifies who sent a request: V3 ACS3-HMAC-SHA256 (signing exactly the headers the request lists)
 * or V1 HMAC-SHA1, then the clock window and the nonce (spec §8). The nonce is recorded only after
 * the signature checks out, so a forged request cannot burn a legitimate client's nonce.
 * Temporary keys (`STS.*`) bring their SecurityToken (V1 parameter, V3 `x-acs-security-token`);
 * it is checked before the signature, since it is what holds the secret to check it with.
 */
import type { Credential, CredentialSource } from '../tenancy/credentials.js';
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

/** What a request says about its signer, read before the key is looked up. */
interface Claim {
  accessKeyId: string;
  /** The SecurityToken; empty counts as absent, as the SDKs omit it then. */
  token: string | undefined;
  timestamp: number;
  nonce: string;
  /** Throws SignatureDoesNotMatch unless the request was signed with `secret`. */
  checkSignature(secret: string): void;
}

/** An authentic, fresh request: who signed it, and the nonce not yet recorded. */
export interface Verified {
  credential: Credential;
  nonce: string;
}

export class Authenticator {
  readonly #credentials: CredentialSource;
  readonly #replay: ReplayGuard;
  readonly #nonces: NonceMemory;

  /** `nonces`: where nonces are remembered (default `replay`, this process; SharedNonces: Redis). */
  constructor(credentials: CredentialSource, replay: ReplayGuard, nonces: NonceMemory = replay) {
    this.#credentials = credentials;
    this.#replay = replay;
    this.#nonces = nonces;
  }

  /**
   * The verified credential, or a GatewayError thrown. On the embedded store with the in-process
   * nonce memory it answers at once; it resolves later only when the key lookup (an API node on
   * PostgreSQL) or the nonce memory (Redis) answers later.
   */
  authenticate(req: RpcRequest, now: number): Credential | Promise<Credential> {
    const verified = this.verify(req, now);
    return verified instanceof Promise
      ? verified.then((v) => this.#useNonce(v, now))
      : this.#useNonce(verified, now);
  }

  /**
   * The signature and the clock, not the nonce: the credential and the nonce the caller must then
   * record (the gateway does it together with the throttle, see Admission), or a GatewayError thrown.
   */
  verify(req: RpcRequest, now: number): Verified | Promise<Verified> {
    let claim: Claim;
    if (req.scheme === 'v3') claim = this.#v3(req);
    else if (req.scheme === 'v1') claim = this.#v1(req);
    else throw gatewayErrors.missingSignature();
    const { accessKeyId, token } = claim;
    if (token || isTemporaryAccessKeyId(accessKeyId)) {
      const temporary = this.#credentials.resolveTemporary(accessKeyId, token, now);
      return temporary instanceof Promise
        ? temporary.then((t) => this.#verify(claim, checkTemporary(t), now))
        : this.#verify(claim, checkTemporary(temporary), now);
    }
    const permanent = this.#credentials.resolve(accessKeyId, now);
    return permanent instanceof Promise
      ? permanent.then((c) => this.#verify(claim, checkPermanent(c), now))
      : this.#verify(claim, checkPermanent(permanent), now);
  }

  /** The signature, then the clock. */
  #verify(claim: Claim, credential: Credential, now: number): Verified {
    claim.checkSignature(credential.secret);
    if (!this.#replay.timestampFresh(claim.timestamp, now)) throw gatewayErrors.timestampExpired();
    return { credential, nonce: claim.nonce };
  }

  /** The nonce, recorded only for an authentic request. */
  #useNonce({ credential, nonce }: Verified, now: number): Credential | Promise<Credential> {
    const fresh = this.#nonces.useNonce(credential.accessKeyId, nonce, now);
    if (fresh === true) return credential;
    if (fresh === false) throw gatewayErrors.nonceUsed();
    return fresh.then((ok) => {
      if (!ok) throw gatewayErrors.nonceUsed();
      return credential;
    });
  }

  #v1(req: RpcRequest): Claim {
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
    return {
      accessKeyId,
      token: p.get('SecurityToken'),
      timestamp,
      nonce,
      checkSignature(secret) {
        const signed: [string, string][] = [];
        for (const entry of p) if (entry[0] !== 'Signature') signed.push(entry);
        const stringToSign = v1StringToSign(req.raw.method, signed);
        if (!signaturesEqual(v1Signature(secret, stringToSign), p.get('Signature') ?? ''))
          throw gatewayErrors.signatureDoesNotMatch(stringToSign);
      },
    };
  }

  #v3(req: RpcRequest): Claim {
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
    return {
      accessKeyId: auth.accessKeyId,
      token: header(h, 'x-acs-security-token'),
      timestamp,
      nonce,
      checkSignature(secret) {
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
          !signaturesEqual(v3Signature(secret, stringToSign), auth.signature)
        ) {
          throw gatewayErrors.signatureDoesNotMatch(stringToSign);
        }
      },
    };
  }
}

function checkTemporary(found: Credential | StsProblem | undefined): Credential {
  if (typeof found === 'string') throw STS_ERRORS[found]();
  if (!found) throw gatewayErrors.accessKeyNotFound();
  return found;
}

function checkPermanent(found: Credential | undefined): Credential {
  if (!found) throw gatewayErrors.accessKeyNotFound();
  if (found.keyStatus !== 'active') throw gatewayErrors.accessKeyInactive();
  return found;
}
