/**
 * Answering-machine detection on the callee's audio from the answer, one 20 ms frame (8 kHz, 160
 * samples) at a time. Pure: every frame carries its time, nothing reads a clock, so a test feeds a
 * WAV and says when each frame arrived.
 *
 * What it listens for, beside the prompt the platform already plays:
 *
 * - **Greeting length and cadence.** A person says a short "喂 / hello?" (or one sentence) and then
 *   STOPS and waits for the caller; a machine reads on, its clauses and sentences separated by
 *   short breaks (measured on espeak's greetings, both voices, clean and at 15 dB SNR: ≤ 180 ms
 *   after the first word, ≤ 500 ms between sentences). So the silence that makes a greeting a
 *   person's depends on what came before it:
 *   - one short word (the greeting so far spans at most `wordMs`: "喂？", "Hello?", "Yes?") then
 *     `wordSilenceMs` of silence is `human` — a machine's first word is followed by a comma's or a
 *     sentence's break, shorter than that;
 *   - a longer greeting (a sentence) needs `humanSilenceMs` of silence, longer than the breaks
 *     between a machine's sentences.
 *   Silence is silence: a frame heard as speech ends it even when too short to be a word (the weak
 *   first sound of a machine's next sentence), so a break is not stretched into a person's pause.
 *   A greeting that has lasted `machineGreetingMs` (from its first word, breaks included) and was
 *   speech for at least `machineSpeechRatio` of that time is `machine`: longer than a person's
 *   one-sentence answer, and continuous (not a few clicks or a cough spread over seconds).
 *   Only that strong evidence (or a beep) makes a machine; anything else stays open until `maxMs`.
 * - **The beep.** A pure tone between 400 and 2000 Hz for at least `beepMinMs`: each frame's power
 *   spectrum (Hann window, 256-point FFT) has one peak in that range holding `beepTonality` of the
 *   power between 200 and 3800 Hz, at the same frequency (± 1 bin, 31 Hz) frame after frame. Speech
 *   spreads its power over many harmonics; a tone keeps nearly all of it in one lobe, also under
 *   noise at 15 dB SNR. A beep is `machine` at once.
 * - **Silence.** Nothing heard by `maxMs` is `unknown` (a person who listens to the prompt is
 *   silent too). Anything undecided at `maxMs` is `unknown` too: the decision never waits longer
 *   (a person's long sentence and a machine's short greeting without a beep look alike).
 *
 * After the decision it keeps listening (for the "leave a message" action): `beep` when a beep
 * starts and ends, `greeting-end` when a greeting that was speaking falls silent for
 * `greetingEndSilenceMs`.
 */
import type { AmdReason, AmdResult } from '../contract/answeringMachine.js';
import { RealFft } from './fft.js';
import { SpectralVad } from './spectralVad.js';
import type { Vad } from './vad.js';

export type { AmdReason, AmdResult };

export interface AmdDecision {
  result: AmdResult;
  reason: AmdReason;
  /** When it was decided: ms after the start (the answer). */
  afterMs: number;
  /** Length of the greeting heard until then (first speech to last speech), ms. */
  greetingMs: number;
}

export type AmdEvent =
  | { type: 'decision'; decision: AmdDecision }
  /** A beep ended (heard for at least `beepMinMs`): the machine records from now on. */
  | { type: 'beep'; hz: number; startMs: number; endMs: number }
  /** The greeting stopped: `greetingEndSilenceMs` of silence after speech. */
  | { type: 'greeting-end'; afterMs: number };

export interface AmdOptions {
  /** The decision is made by then at the latest, ms after the start (default 4000). */
  maxMs?: number;
  /** Greeting longer than this is a machine's (default 2800 ms). */
  machineGreetingMs?: number;
  /** Share of the greeting's time that must be speech for `machineGreetingMs` to count (default 0.4). */
  machineSpeechRatio?: number;
  /** A greeting spanning at most this is one word (default 500 ms). */
  wordMs?: number;
  /** Silence after one word that makes it a person's (default 500 ms). */
  wordSilenceMs?: number;
  /** Silence after a shorter greeting that makes it a person's (default 700 ms). */
  humanSilenceMs?: number;
  /** Silence that ends a machine's greeting, for the message action (default 1200 ms). */
  greetingEndSilenceMs?: number;
  /** Shortest speech that counts as a word (default 100 ms: clicks are not greetings). */
  minSpeechMs?: number;
  /** Shortest tone that is a beep (default 100 ms). */
  beepMinMs?: number;
  /** Share of the band's power a beep's peak holds (default 0.8). */
  beepTonality?: number;
  /** The frame classifier (default a fresh {@link SpectralVad}). */
  vad?: Vad;
  /** When listening began (the answer), on the frames' time base (default: the first frame). */
  startMs?: number;
}

const FRAME_MS = 20;
const FFT_SIZE = 256;
const HZ_PER_BIN = 8000 / FFT_SIZE;
const BAND_FROM = Math.round(200 / HZ_PER_BIN);
const BAND_TO = Math.round(3800 / HZ_PER_BIN);
const BEEP_FROM = Math.round(400 / HZ_PER_BIN);
const BEEP_TO = Math.round(2000 / HZ_PER_BIN);
/** A beep's frames are loud enough to matter: mean power of a −40 dBFS tone after the window. */
const BEEP_MIN_RMS = 300;

export class AnsweringMachineDetector {
  readonly #maxMs: number;
  readonly #machineMs: number;
  readonly #machineRatio: number;
  readonly #wordMs: number;
  readonly #wordSilenceMs: number;
  readonly #humanSilenceMs: number;
  readonly #greetingEndMs: number;
  readonly #minSpeechMs: number;
  readonly #beepFrames: number;
  readonly #tonality: number;
  readonly #vad: Vad;
  readonly #fft = new RealFft(FFT_SIZE);
  readonly #window = new Float64Array(160);
  readonly #re = new Float64Array(FFT_SIZE);
  readonly #im = new Float64Array(FFT_SIZE);
  readonly #power = new Float64Array(FFT_SIZE / 2 + 1);

  #startMs: number | undefined;
  #decision: AmdDecision | undefined;
  /** Start of the current run of speech frames (not yet a word). */
  #runStart: number | undefined;
  /** First word of the greeting; undefined before anyone spoke. */
  #greetingStart: number | undefined;
  /** End of the last speech frame of a word. */
  #lastSpeechEnd: number | undefined;
  /** Speech heard in the greeting (frames of words), ms. */
  #speechMs = 0;
  /** End of the last frame heard as speech, a word's or not (a blip too short to be a word). */
  #lastVoiceEnd: number | undefined;
  #greetingEnded = false;
  /** The beep being heard: its bin, first frame, frames so far. */
  #toneBin = -1;
  #toneStart = 0;
  #toneFrames = 0;
  #beeped = false;

  constructor(options: AmdOptions = {}) {
    this.#maxMs = options.maxMs ?? 4000;
    this.#machineMs = options.machineGreetingMs ?? 2800;
    this.#machineRatio = options.machineSpeechRatio ?? 0.4;
    this.#wordMs = options.wordMs ?? 500;
    this.#wordSilenceMs = options.wordSilenceMs ?? 500;
    this.#humanSilenceMs = options.humanSilenceMs ?? 700;
    this.#greetingEndMs = options.greetingEndSilenceMs ?? 1200;
    this.#minSpeechMs = options.minSpeechMs ?? 100;
    this.#beepFrames = Math.ceil((options.beepMinMs ?? 100) / FRAME_MS);
    this.#tonality = options.beepTonality ?? 0.8;
    this.#vad = options.vad ?? new SpectralVad();
    this.#startMs = options.startMs;
    for (let i = 0; i < 160; i++) this.#window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / 160);
  }

  /** The decision, once made. */
  get decision(): AmdDecision | undefined {
    return this.#decision;
  }

  /** Whether a beep has been heard (and ended). */
  get beeped(): boolean {
    return this.#beeped;
  }

  /** One frame of the callee's audio received at `atMs` (its start); returns what it decided. */
  push(frame: Int16Array, atMs: number): AmdEvent[] {
    this.#startMs ??= atMs;
    const out: AmdEvent[] = [];
    const endMs = atMs + FRAME_MS;
    const beep = this.#beep(frame, atMs);
    if (beep) out.push(beep);
    // A tone heard for `beepMinMs` is a beep: decided now, not when it ends.
    if (!this.#decision && this.#toneFrames >= this.#beepFrames) this.#decide('machine', 'beep', endMs, out);
    // A tone is not speech: the greeting's cadence is read from the other frames.
    const speech = this.#toneFrames === 0 && this.#vad.process(frame) >= this.#vad.threshold;
    this.#cadence(speech, atMs, endMs, out);
    if (!this.#decision && endMs - this.#startMs >= this.#maxMs) this.#deadline(endMs, out);
    return out;
  }

  /**
   * Time passes without frames (no RTP): decides at `maxMs` as {@link push} would. Returns the
   * decision when this call made it.
   */
  timeout(atMs: number): AmdEvent[] {
    const out: AmdEvent[] = [];
    this.#startMs ??= atMs - this.#maxMs;
    if (!this.#decision && atMs - this.#startMs >= this.#maxMs) this.#deadline(atMs, out);
    return out;
  }

  #cadence(speech: boolean, atMs: number, endMs: number, out: AmdEvent[]): void {
    if (speech) {
      this.#lastVoiceEnd = endMs;
      this.#runStart ??= atMs;
      if (endMs - this.#runStart >= this.#minSpeechMs) {
        // The run's first frames count once it is a word.
        this.#speechMs +=
          this.#lastSpeechEnd === undefined || this.#lastSpeechEnd < this.#runStart
            ? endMs - this.#runStart
            : FRAME_MS;
        this.#greetingStart ??= this.#runStart;
        this.#lastSpeechEnd = endMs;
        this.#greetingEnded = false;
      }
    } else this.#runStart = undefined;
    const start = this.#greetingStart;
    const last = this.#lastSpeechEnd;
    if (start === undefined || last === undefined) return;
    // Silence is silence: a sound too short to be a word (the weak start of the next one) ends it too.
    const silentFor = endMs - Math.max(last, this.#lastVoiceEnd ?? last);
    if (!this.#decision) {
      const span = last - start;
      if (span >= this.#machineMs) {
        if (this.#speechMs >= this.#machineRatio * span) this.#decide('machine', 'long-greeting', endMs, out);
      } else if (silentFor >= (span <= this.#wordMs ? this.#wordSilenceMs : this.#humanSilenceMs))
        this.#decide('human', 'short-greeting', endMs, out);
    }
    if (!this.#greetingEnded && silentFor >= this.#greetingEndMs) {
      this.#greetingEnded = true;
      out.push({ type: 'greeting-end', afterMs: endMs - this.#startMs! });
    }
  }

  #deadline(atMs: number, out: AmdEvent[]): void {
    this.#decide('unknown', this.#greetingStart === undefined ? 'silence' : 'timeout', atMs, out);
  }

  #decide(result: AmdResult, reason: AmdReason, atMs: number, out: AmdEvent[]): void {
    const start = this.#greetingStart;
    const greetingMs =
      start !== undefined && this.#lastSpeechEnd !== undefined ? this.#lastSpeechEnd - start : 0;
    this.#decision = { result, reason, afterMs: Math.round(atMs - this.#startMs!), greetingMs };
    out.push({ type: 'decision', decision: this.#decision });
  }

  /** The beep's end, once a tone has lasted long enough and this frame is no longer part of it. */
  #beep(frame: Int16Array, atMs: number): AmdEvent | undefined {
    const bin = this.#toneBinOf(frame);
    const continues = bin >= 0 && this.#toneFrames > 0 && Math.abs(bin - this.#toneBin) <= 1;
    if (continues) {
      this.#toneFrames++;
      return undefined;
    }
    let ended: AmdEvent | undefined;
    if (this.#toneFrames >= this.#beepFrames) {
      this.#beeped = true;
      ended = {
        type: 'beep',
        hz: Math.round(this.#toneBin * HZ_PER_BIN),
        startMs: Math.round(this.#toneStart - this.#startMs!),
        endMs: Math.round(atMs - this.#startMs!),
      };
    }
    this.#toneBin = bin;
    this.#toneStart = atMs;
    this.#toneFrames = bin >= 0 ? 1 : 0;
    return ended;
  }

  /** The bin of this frame's pure tone, or −1 when the frame is not one. */
  #toneBinOf(frame: Int16Array): number {
    const n = Math.min(frame.length, 160);
    let energy = 0;
    for (let i = 0; i < n; i++) energy += frame[i]! * frame[i]!;
    if (n === 0 || Math.sqrt(energy / n) < BEEP_MIN_RMS) return -1;
    const re = this.#re;
    for (let i = 0; i < n; i++) re[i] = frame[i]! * this.#window[i]!;
    re.fill(0, n);
    this.#fft.power(re, this.#im, this.#power);
    const p = this.#power;
    let total = 0;
    for (let k = BAND_FROM; k <= BAND_TO; k++) total += p[k]!;
    let peak = BEEP_FROM;
    for (let k = BEEP_FROM + 1; k <= BEEP_TO; k++) if (p[k]! > p[peak]!) peak = k;
    // The Hann window of 160 samples in 256 spreads a tone over ±3 bins (its main lobe).
    let lobe = 0;
    for (let k = peak - 3; k <= peak + 3; k++) lobe += p[k]!;
    return total > 0 && lobe / total >= this.#tonality ? peak : -1;
  }
}
