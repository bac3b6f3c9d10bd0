/**
 * SDES key material for one call (RFC 4568): fresh random master keys per call, one per suite we
 * offer, and the pairing of our line with the far end's once the answer names the suite in use.
 * Keys are secrets: they travel only in SDP bodies, never in a log line.
 */
import { randomBytes } from 'node:crypto';
import type { SrtpKeys } from '../rtp/srtp.js';
import { type LocalSrtp, type MediaDescriptionSummary, SDES_SUITES, type SdesSuite } from '../sip/index.js';

/** Per trunk: no crypto, best-effort SDES on RTP/AVP, or RTP/SAVP that must be answered with crypto. */
export type SrtpPolicy = 'off' | 'optional' | 'required';
export const SRTP_POLICIES: readonly SrtpPolicy[] = ['off', 'optional', 'required'];

/** Our crypto lines for a new call (tags 1, 2, … in suite order), or undefined when SRTP is off. */
export function newLocalSrtp(
  policy: SrtpPolicy,
  suites: readonly SdesSuite[] = SDES_SUITES,
): LocalSrtp | undefined {
  if (policy === 'off') return undefined;
  return {
    policy,
    crypto: suites.map((suite, i) => ({ tag: i + 1, suite, key: randomBytes(30).toString('base64') })),
  };
}

/**
 * The keys the media uses for the far end's description: its first crypto line (the one in use)
 * with our key for that suite; null when the stream is plain RTP.
 */
export function srtpKeysFor(local: LocalSrtp | undefined, remote: MediaDescriptionSummary): SrtpKeys | null {
  const theirs = remote.crypto?.[0];
  if (!local || !theirs) return null;
  const ours = local.crypto.find((c) => c.suite === theirs.suite);
  if (!ours) return null;
  return {
    suite: theirs.suite,
    localKey: Buffer.from(ours.key, 'base64'),
    remoteKey: Buffer.from(theirs.key, 'base64'),
  };
}
