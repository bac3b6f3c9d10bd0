/**
 * A certificate authority made for one test with openssl, and a server certificate it signs for
 * the names and addresses given: HTTPS tests keep certificate checks on and trust this CA only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  /** The CA certificate's PEM file. */
  caFile: string;
  ca: string;
  key: string;
  cert: string;
}

export function makeTestCa(dir: string, names: string[], ips: string[] = []): TestCa {
  const path = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=smartcall test CA',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${names[0] ?? ips[0]}`,
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
  );
  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(',');
  writeFileSync(path('ext.cnf'), `subjectAltName=${san}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    path('ext.cnf'),
    '-out',
    path('server.pem'),
  );
  return {
    caFile: path('ca.pem'),
    ca: readFileSync(path('ca.pem'), 'utf8'),
    key: readFileSync(path('server.key'), 'utf8'),
    cert: readFileSync(path('server.pem'), 'utf8'),
  };
}

/**
 * Another certificate from the CA `makeTestCa` made in `dir` (its `ca.key` beside `ca.pem`): for a
 * client, or a server with other names. Files `<base>.pem` and `<base>.key` in `dir`.
 */
export function issueCert(
  dir: string,
  base: string,
  names: string[],
  ips: string[] = [],
): { certFile: string; keyFile: string; cert: string; key: string } {
  const path = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${names[0] ?? ips[0]}`,
    '-keyout',
    path(`${base}.key`),
    '-out',
    path(`${base}.csr`),
  );
  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(',');
  writeFileSync(path(`${base}.cnf`), `subjectAltName=${san}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    path(`${base}.csr`),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    path(`${base}.cnf`),
    '-out',
    path(`${base}.pem`),
  );
  return {
    certFile: path(`${base}.pem`),
    keyFile: path(`${base}.key`),
    cert: readFileSync(path(`${base}.pem`), 'utf8'),
    key: readFileSync(path(`${base}.key`), 'utf8'),
  };
}
