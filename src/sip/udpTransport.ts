import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { TransportError } from './transport.js';

export interface UdpTransportOptions {
  address: string;
  port: number;
  onDatagram: (data: Buffer, source: RemoteInfo) => void;
  onSendError: (error: TransportError) => void;
}

/** One UDP socket (§18.1.1, §18.2.1). It owns the socket; `close()` closes it. */
export class UdpTransport {
  readonly #options: UdpTransportOptions;
  readonly #socket: Socket;
  #closed = false;
  #port = 0;

  constructor(options: UdpTransportOptions) {
    this.#options = options;
    this.#socket = createSocket({ type: isIPv6(options.address) ? 'udp6' : 'udp4' });
    this.#socket.on('message', options.onDatagram);
    // A UDP socket reports ICMP errors of earlier sends here; the transaction timers cope with loss.
    this.#socket.on('error', (err) => options.onSendError({ code: 'send-failed', message: err.message }));
  }

  get port(): number {
    return this.#port;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#socket.once('error', onError);
      this.#socket.bind(this.#options.port, this.#options.address, () => {
        this.#socket.off('error', onError);
        this.#port = this.#socket.address().port;
        resolve(this.#port);
      });
    });
  }

  send(data: Buffer, address: string, port: number, onError?: (error: TransportError) => void): void {
    if (this.#closed) {
      onError?.({ code: 'closed', message: 'UDP transport closed' });
      return;
    }
    this.#socket.send(data, port, address, (err) => {
      if (err) {
        const error: TransportError = { code: 'send-failed', message: err.message };
        this.#options.onSendError(error);
        onError?.(error);
      }
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
  }
}
