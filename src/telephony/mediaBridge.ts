/**
 * Connects two calls' audio: what one party says is played to the other, frame by frame on the
 * shared media clock (one tick of delay plus each side's jitter buffer). One way for monitoring
 * (an agent listening in), both ways for a bridge. `close()` stops the relay; the calls go on.
 */
import type { CallMedia } from '../media/callMedia.js';
import { StreamSource } from '../media/streamSource.js';

export class MediaBridge {
  readonly #relays: { stop(): void }[] = [];

  /** Relays `from`'s incoming audio into `to`'s playout (it replaces what `to` was playing). */
  static oneWay(from: CallMedia, to: CallMedia): MediaBridge {
    const bridge = new MediaBridge();
    bridge.#relay(from, to);
    return bridge;
  }

  static bothWays(a: CallMedia, b: CallMedia): MediaBridge {
    const bridge = new MediaBridge();
    bridge.#relay(a, b);
    bridge.#relay(b, a);
    return bridge;
  }

  #relay(from: CallMedia, to: CallMedia): void {
    to.flushPlayout();
    const stream = new StreamSource(8000);
    to.play(stream, { id: 'bridge' });
    const onFrame = (pcm: Int16Array) => {
      // Keep at most ~100 ms queued: a late consumer must not build up delay.
      if (stream.bufferedSamples > 800) return;
      stream.append(pcm);
    };
    from.on('frame', onFrame);
    this.#relays.push({
      stop: () => {
        from.off('frame', onFrame);
        stream.end();
      },
    });
  }

  close(): void {
    for (const r of this.#relays) r.stop();
    this.#relays.length = 0;
  }
}
