/** A call's recording as waveform peaks (JSON) for the call detail's canvas, for those who may see the call. */
import type { FastifyInstance } from 'fastify';
import type { CallRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { maySee } from './consoleAccess.js';
import type { ConsoleSessions } from './consoleSessions.js';
import { signedIn } from './signedIn.js';
import { WaveformError, waveformOf, waveformOfFile } from './waveformPeaks.js';

/** Slices per channel: about one per pixel of a laptop-wide canvas. */
export const WAVEFORM_BUCKETS = 1200;

export function registerWaveformRoutes(
  app: FastifyInstance,
  d: {
    store: Store;
    sessions: ConsoleSessions;
    log: { warn(o: object, m: string): void };
    /** A short-lived URL of a recording kept in object storage (webConsole.ts). */
    storedRecording?: (call: CallRecord) => string | undefined;
  },
): void {
  app.get<{ Params: { callId: string } }>('/console/calls/:callId/waveform', async (req, reply) => {
    const v = signedIn(req, reply, d.sessions, true);
    if (!v) return reply;
    const call = d.store.calls.find(req.params.callId);
    if (!call) return reply.code(404).send({ error: 'no such call' });
    if (!maySee(v.open.user, call.accountId)) return reply.code(403).send({ error: 'forbidden' });
    if (!call.recordPath) return reply.code(404).send({ error: 'no recording' });
    try {
      const wave = await waveformOfFile(call.recordPath, WAVEFORM_BUCKETS).catch(async (err: unknown) => {
        const stored = (err as NodeJS.ErrnoException).code === 'ENOENT' && d.storedRecording?.(call);
        if (!stored) throw err;
        const res = await fetch(stored, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok)
          throw Object.assign(new Error(`object storage answered ${res.status}`), { code: 'ENOENT' });
        return waveformOf(Buffer.from(await res.arrayBuffer()), WAVEFORM_BUCKETS);
      });
      return reply.header('cache-control', 'private, max-age=300').send(wave);
    } catch (err) {
      if (err instanceof WaveformError) {
        d.log.warn({ callId: call.callId, err: err.message }, 'waveform not drawn');
        return reply.code(422).send({ error: err.message });
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return reply.code(404).send({ error: 'the recording is no longer kept' });
      throw err;
    }
  });
}
