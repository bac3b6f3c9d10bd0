/**
 * The TLS side of a trunk for the SIP layer: the name its certificate must carry and the PEM texts
 * of its CA file and client certificate (`admin trunk add --tls-*`), read when needed so that a
 * renewed file is used by the next call.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../observability/logger.js';
import type { TlsClientProfile } from '../sip/index.js';
import type { TrunkRecord } from '../store/records.js';

/** Throws an Error naming the trunk and the file when one cannot be read (the call fails as a transport error). */
export function trunkTlsProfile(t: TrunkRecord, serverName: string): TlsClientProfile {
  const read = (flag: string, path: string | null | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`trunk ${t.name}: ${flag} ${path}: ${(err as Error).message}`);
    }
  };
  const ca = read('--tls-ca-file', t.tlsCaFile);
  const cert = read('--tls-cert-file', t.tlsCertFile);
  const key = read('--tls-key-file', t.tlsKeyFile);
  return {
    serverName,
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && key !== undefined && { cert, key }),
  };
}

/**
 * The profile of a TLS trunk (`sips:` or `--transport tls`) for a background task (registration,
 * keep-alive): `undefined` for a trunk that speaks no TLS, `null` when its files cannot be read —
 * logged as "trunk not <doing>" with the cause, and the task skips the trunk.
 */
export function backgroundTlsProfile(
  t: TrunkRecord,
  log: Logger,
  doing: string,
): TlsClientProfile | undefined | null {
  if (t.transport !== 'tls' && !t.uri?.startsWith('sips:')) return undefined;
  try {
    return trunkTlsProfile(t, t.host);
  } catch (err) {
    log.error(
      { trunk: t.name, err: (err as Error).message },
      `trunk not ${doing}: its TLS files cannot be read`,
    );
    return null;
  }
}
