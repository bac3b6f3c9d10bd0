/** Why a network prompt file could not be had: a value with a code, for logs and call records. */
export type NetworkFileErrorCode =
  | 'BAD_URL'
  | 'REFUSED'
  | 'DNS'
  | 'CONNECT'
  | 'TLS'
  | 'TIMEOUT'
  | 'HTTP'
  | 'REDIRECTS'
  | 'TOO_LARGE'
  | 'DECODE';

export class NetworkFileError extends Error {
  override name = 'NetworkFileError';
  constructor(
    readonly code: NetworkFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}
