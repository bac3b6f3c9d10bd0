/** The media path's fixed framing: G.711 at 8 kHz, one 20 ms frame per clock tick. */
export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
export const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;
