/**
 * baresip's ctrl_tcp interface: netstring-framed JSON (`len:{json},`). Events arrive while a client
 * is connected; commands (e.g. `sndcode` = send a DTMF digit) are answered with a response.
 */
import { connect, type Socket } from 'node:net';

export interface BaresipEvent {
  event?: boolean;
  type?: string;
  param?: string;
  [k: string]: unknown;
}

export class BaresipControl {
  readonly events: BaresipEvent[] = [];
  readonly #socket: Socket;
  #buffer = '';

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.#buffer += d;
      for (;;) {
        const colon = this.#buffer.indexOf(':');
        if (colon < 0) break;
        const len = Number(this.#buffer.slice(0, colon));
        if (this.#buffer.length < colon + 1 + len + 1) break;
        const json = this.#buffer.slice(colon + 1, colon + 1 + len);
        this.#buffer = this.#buffer.slice(colon + 1 + len + 1);
        try {
          this.events.push(JSON.parse(json));
        } catch {
          // a frame we do not understand: ignore
        }
      }
    });
  }

  static connect(port: number): Promise<BaresipControl> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new BaresipControl(socket)));
      socket.once('error', reject);
    });
  }

  send(command: string, params?: string): void {
    const json = JSON.stringify({
      command,
      ...(params !== undefined && { params }),
      token: String(Date.now()),
    });
    this.#socket.write(`${Buffer.byteLength(json)}:${json},`);
  }

  /** Digits baresip received, in order (CALL_DTMF_START events). */
  digits(): string {
    return this.events
      .filter((e) => e.type === 'CALL_DTMF_START')
      .map((e) => String(e.param ?? ''))
      .join('');
  }

  close(): void {
    this.#socket.destroy();
  }
}
