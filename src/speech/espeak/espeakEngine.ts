/**
 * Owner of the espeak-ng worker threads (see espeakWorker.ts): starts them, sends each SSML line
 * to the least busy one and returns its 22050 Hz PCM. Closing ends the workers' espeak `main`
 * cleanly and then terminates the threads.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { EspeakReply, EspeakRequest } from './espeakWorker.js';

export const ESPEAK_RATE = 22050;

interface Slot {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
  ready: Promise<void>;
  inFlight: Map<number, { resolve(pcm: Int16Array): void; reject(err: Error): void }>;
}

export class EspeakEngine {
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(workers = 1) {
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn());
  }

  ready(): Promise<void> {
    return Promise.all(this.#slots.map((s) => s.ready)).then(() => {});
  }

  /** Synthesises one SSML line (mono 16-bit PCM at {@link ESPEAK_RATE}). */
  async synthesize(ssml: string): Promise<Int16Array> {
    if (this.#closed) throw new Error('espeak engine is closed');
    const slot = this.#slots.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
    await slot.ready;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      slot.inFlight.set(id, { resolve, reject });
      slot.port.postMessage({ id, ssml } satisfies EspeakRequest);
      Atomics.store(slot.signal, 0, 1);
      Atomics.notify(slot.signal, 0);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        for (const p of slot.inFlight.values()) p.reject(new Error('espeak engine closed'));
        slot.inFlight.clear();
        slot.port.postMessage({ close: true });
        Atomics.store(slot.signal, 0, 1);
        Atomics.notify(slot.signal, 0);
        await slot.worker.terminate();
        slot.port.close();
      }),
    );
  }

  #spawn(): Slot {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL('./espeakWorker.js', import.meta.url), {
      workerData: { port: port2, signal },
      transferList: [port2],
    });
    let markReady!: () => void;
    let markFailed!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {});
    const slot: Slot = { worker, port: port1, signal, ready, inFlight: new Map() };
    worker.on('message', (reply: EspeakReply) => {
      if (reply.kind === 'ready') return markReady();
      if (reply.kind === 'failed') return markFailed(new Error(`espeak-ng failed to start: ${reply.error}`));
      const pending = slot.inFlight.get(reply.id);
      slot.inFlight.delete(reply.id);
      pending?.resolve(reply.pcm);
    });
    worker.on('error', (err) => markFailed(err));
    worker.on('exit', (code) => {
      markFailed(new Error(`espeak-ng worker exited (${code})`));
      for (const p of slot.inFlight.values()) p.reject(new Error(`espeak-ng worker exited (${code})`));
      slot.inFlight.clear();
    });
    return slot;
  }
}
