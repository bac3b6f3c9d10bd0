/**
 * Something the playout can play: 8 kHz mono 16-bit samples, pulled a frame at a time on the media
 * clock. Sources convert their own material to 8 kHz (files and TTS at other rates resample) so the
 * per-tick read is a copy.
 */
export interface AudioSource {
  /**
   * Writes up to `count` samples into `out` from `offset`; returns how many. Fewer than asked means
   * the source has nothing more *right now*: finished when {@link done} is true, starved otherwise
   * (a stream whose next chunk has not arrived: the playout fills silence and asks again next tick).
   */
  read(out: Int16Array, offset: number, count: number): number;
  /** True once every sample has been read and no more will come. */
  readonly done: boolean;
  /** Releases what the source holds (called when the playout drops it). Optional. */
  close?(): void;
  /**
   * For a source read ahead of playback (media in a worker thread): `played()` tells how many of the
   * samples read so far have been heard, so what the source reports about "now" follows the ear.
   */
  followPlayback?(played: () => number): void;
}
