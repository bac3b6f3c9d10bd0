/**
 * s3rver (dev dependency, 3.7.1): an S3-compatible server in this process on 127.0.0.1, storing
 * under a temporary folder. What it checks and what it does not (lib/middleware/authentication.js):
 * it knows the access key `S3RVER` (secret `S3RVER`) and refuses any other (InvalidAccessKeyId);
 * it refuses a presigned URL past its X-Amz-Date + X-Amz-Expires (AccessDenied "Request has
 * expired") and a header-signed request more than 15 minutes off (RequestTimeTooSkewed); it does
 * NOT compute SigV4 signatures ("Signature version 4 calculation is unimplemented"), so a tampered
 * signature passes. Signing is proven by AWS's published vectors (sigV4Vectors.test.ts) instead.
 */

import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface RunningS3rver {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/** Starts s3rver with `bucket`; `port` 0 picks a free one (pass the old one to restart in place). */
export async function startS3rver(directory: string, bucket: string, port = 0): Promise<RunningS3rver> {
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () => server.close(),
  };
}
