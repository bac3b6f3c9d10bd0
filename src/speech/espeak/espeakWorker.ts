/**
 * Worker thread hosting one long-lived espeak-ng WASM instance (npm `espeak-ng`, 1.52-dev).
 *
 * The package only exposes the CLI's `main`, and a fresh instance costs ≈ 200 ms (most of it
 * unpacking the embedded voice data), far over the 150 ms first-audio budget. So `main` runs once,
 * in line-by-line mode (no text argument): it reads stdin a line at a time and synthesises each
 * line as SSML (`-m`), which lets every line pick its own language, gender/variant, pitch, rate
 * and volume. Our stdin callback blocks this thread (Atomics.wait) until the main thread posts the
 * next request, so between requests espeak sits warm inside `fgets`.
 *
 * Audio goes to a character device instead of a file: when our stdin callback is asked for the
 * next line, the previous line is fully synthesised; `fflush` pushes the last bytes out of the C
 * stdio buffer, and everything the device collected since the last line is that line's PCM
 * (22050 Hz, 16-bit; the first 44 bytes ever written are the WAV header).
 *
 * Messages follow the pool protocol (src/workers/workerProtocol.ts), but arrive on a port of our
 * own that we poll, since this thread never returns to its event loop between lines.
 */
import { readFileSync } from 'node:fs';
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { PoolMessage, WorkerMessage } from '../../workers/workerProtocol.js';

export interface EspeakRequest {
  /** One line of SSML (no newline inside). */
  ssml: string;
}

/** A line's PCM: mono, 16-bit, 22050 Hz. */
export type EspeakReply = WorkerMessage<Int16Array>;

interface EspeakModule {
  FS: { createDevice(parent: string, name: string, input: null, output: (byte: number) => void): void };
  _fflush(stream: number): number;
}

/** The slice of the WebAssembly API used here (the project's `lib` setting omits its types). */
interface Wasm {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
const HEADER_BYTES = 44;

async function main(): Promise<void> {
  const wasmPath = new URL('espeak-ng.wasm', import.meta.resolve('espeak-ng'));
  const factory = (await import('espeak-ng')).default as (opts: object) => Promise<EspeakModule>;
  const compiled = await wasm.compile(readFileSync(wasmPath));
  let out = new Uint8Array(1 << 20);
  let outLength = 0;
  let headerLeft = HEADER_BYTES;
  let line: Uint8Array | null = null;
  let linePos = 0;
  let current: number | null = null;
  let module: EspeakModule | null = null;
  let started = false;
  const encoder = new TextEncoder();

  const collect = (byte: number) => {
    if (headerLeft > 0) {
      headerLeft--;
      return;
    }
    if (outLength === out.length) {
      const bigger = new Uint8Array(out.length * 2);
      bigger.set(out);
      out = bigger;
    }
    out[outLength++] = byte;
  };

  // Requests read off the port but not yet spoken: reading drains the port, so that a cancel can
  // drop its line before espeak spends time on it.
  const queue: { id: number; ssml: string }[] = [];
  let closing = false;
  const drain = () => {
    for (let msg = receiveMessageOnPort(port); msg; msg = receiveMessageOnPort(port)) {
      const m = msg.message as PoolMessage<EspeakRequest>;
      if (m.kind === 'request') queue.push({ id: m.id, ssml: m.payload.ssml });
      else if (m.kind === 'close') closing = true;
      else {
        const at = queue.findIndex((r) => r.id === m.id);
        if (at >= 0) queue.splice(at, 1);
      }
    }
  };

  /** Blocks until the main thread posts the next request; null means shut down. */
  const nextRequest = (): { id: number; ssml: string } | null => {
    for (;;) {
      drain();
      if (closing) return null;
      const request = queue.shift();
      if (request) return request;
      Atomics.wait(signal, 0, 0);
      Atomics.store(signal, 0, 0);
    }
  };

  const stdin = (): number | null => {
    if (line && linePos < line.length) return line[linePos++]!;
    if (line && linePos === line.length) {
      linePos++;
      return null; // ends this read(); fgets has its line
    }
    if (!started) {
      started = true;
      parentPort!.postMessage({ kind: 'ready' } satisfies EspeakReply);
    }
    if (current !== null && module) {
      module._fflush(0);
      const even = outLength - (outLength % 2);
      const pcm = new Int16Array(even / 2);
      new Uint8Array(pcm.buffer).set(out.subarray(0, even));
      parentPort!.postMessage({ kind: 'done', id: current, result: pcm } satisfies EspeakReply, [pcm.buffer]);
      outLength = 0;
      current = null;
    }
    const request = nextRequest();
    if (!request) return null; // EOF: main() returns
    current = request.id;
    line = encoder.encode(`${request.ssml.replace(/[\r\n]+/g, ' ')}\n`);
    linePos = 0;
    return line[linePos++]!;
  };

  await factory({
    // -D: espeak's random generator (breath and aspiration noise) starts from a fixed seed instead of
    // the clock's second, so the same lines give the same audio in every process. Without it the
    // phrase templates (phraseTemplates.ts), and every synthetic test caller, differed from one
    // start to the next (bench:speech's off-list figure moved between 0.925 and 0.95).
    arguments: ['-D', '-m', '-v', 'cmn', '-w', '/dev/smartcall-tts'],
    stdin,
    print: () => {},
    printErr: () => {},
    preRun: [
      (m: EspeakModule) => {
        module = m;
        m.FS.createDevice('/dev', 'smartcall-tts', null, collect);
      },
    ],
    instantiateWasm(imports: object, receive: (instance: object, module: object) => void) {
      void wasm.instantiate(compiled, imports).then((instance) => receive(instance, compiled));
      return {};
    },
  });
}

main().catch((err: Error) => {
  parentPort!.postMessage({ kind: 'failed', error: err.message } satisfies EspeakReply);
});
