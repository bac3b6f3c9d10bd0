/**
 * What a persona does, read from its script without running it: the outcome a caller should see
 * (answered, or the SIP status the call fails with), whether early media comes first, and a one-line
 * account of the steps — for `smartcall phonenet personas` and for tests that pick personas.
 */
import type { Persona, Step } from './personaSchema.js';

export type ExpectedOutcome =
  /** 200 OK. */
  | { outcome: 'answered'; hangsUp: boolean }
  /** A final failure status (also after early media). */
  | { outcome: 'failed'; status: number }
  /** Rings until the caller gives up (or the network does, with `status` after `giveUpAfterMs`). */
  | { outcome: 'no-answer'; status: number; giveUpAfterMs: number };

export interface PersonaSummary {
  name: string;
  numbers: string[];
  description: string | undefined;
  voice: string;
  expected: ExpectedOutcome;
  earlyMedia: boolean;
  /** Ring time before the answer or the failure, ms (0 when immediate; null when it never decides). */
  setupMs: number | null;
  behaviour: string;
}

function flatten(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) =>
    s.kind === 'repeat'
      ? Array.from({ length: Math.min(s.times ?? 1, 3) }, () => flatten(s.steps)).flat()
      : s.kind === 'when'
        ? flatten(s.steps)
        : [s],
  );
}

function quote(text: string): string {
  return `"${text}"`;
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'ring':
      return `rings ${seconds(step.ms)}`;
    case 'answer':
      return 'answers';
    case 'reject':
      return `rejects ${step.status}${step.reason ? ` ${step.reason}` : ''}`;
    case 'never-answer':
      return step.giveUpAfterMs === undefined
        ? 'rings until the caller gives up'
        : `rings until the caller gives up (${step.status} after ${seconds(step.giveUpAfterMs)})`;
    case 'announce':
      return `183 early media: ${quote(step.text)}${step.times > 1 ? ` x${step.times}` : ''}`;
    case 'wait':
      return `waits ${seconds(step.ms)}`;
    case 'wait-prompt':
      return step.until === 'prompt-end' ? 'waits for the prompt to end' : 'waits for the prompt to start';
    case 'say':
      return `says ${quote(step.text)}`;
    case 'barge-in':
      return `talks over the prompt after ${seconds(step.afterMs)}: ${quote(step.text)}`;
    case 'silence':
      return `stays silent ${seconds(step.ms)}`;
    case 'dtmf':
      return `presses ${step.digits}`;
    case 'beep':
      return `beeps (${step.hz} Hz, ${seconds(step.ms)})`;
    case 'hangup':
      return 'hangs up';
    case 'when':
      return `if the prompt says ${step.promptContains.map(quote).join(' or ')}: ${step.steps.map(describeStep).join(', ')}${step.otherwise.length > 0 ? `; otherwise ${step.otherwise.map(describeStep).join(', ')}` : ''}`;
    case 'repeat':
      return `repeats ${step.times === undefined ? 'until the call ends' : `${step.times} times`} (${step.steps.map(describeStep).join(', ')})`;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function expectedOutcome(persona: Persona): {
  expected: ExpectedOutcome;
  earlyMedia: boolean;
  setupMs: number | null;
} {
  let earlyMedia = false;
  let setupMs = 0;
  const steps = flatten(persona.steps);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    switch (step.kind) {
      case 'ring':
      case 'wait':
      case 'silence':
        setupMs += step.ms;
        break;
      case 'announce':
        earlyMedia = true;
        setupMs = Number.NaN; // depends on the announcement's length
        break;
      case 'answer': {
        const hangsUp = steps.slice(i + 1).some((s) => s.kind === 'hangup');
        return { expected: { outcome: 'answered', hangsUp }, earlyMedia, setupMs: nullIfNaN(setupMs) };
      }
      case 'reject':
        return {
          expected: { outcome: 'failed', status: step.status },
          earlyMedia,
          setupMs: nullIfNaN(setupMs),
        };
      case 'hangup':
        return { expected: { outcome: 'failed', status: 480 }, earlyMedia, setupMs: nullIfNaN(setupMs) };
      case 'never-answer':
        // Without its own limit the call-length cap ends the ringing (480, see PersonaCall).
        return {
          expected: {
            outcome: 'no-answer',
            status: step.giveUpAfterMs === undefined ? 480 : step.status,
            giveUpAfterMs: step.giveUpAfterMs ?? persona.maxCallMs,
          },
          earlyMedia,
          setupMs: null,
        };
      default:
        break;
    }
  }
  // A script that neither answers nor rejects keeps ringing until the call-length cap (480).
  return {
    expected: { outcome: 'no-answer', status: 480, giveUpAfterMs: persona.maxCallMs },
    earlyMedia,
    setupMs: null,
  };
}

function nullIfNaN(n: number): number | null {
  return Number.isNaN(n) ? null : n;
}

export function summarizePersona(persona: Persona): PersonaSummary {
  const { expected, earlyMedia, setupMs } = expectedOutcome(persona);
  return {
    name: persona.name,
    numbers: persona.numbers.map((n) => n.source),
    description: persona.description,
    voice: persona.voice,
    expected,
    earlyMedia,
    setupMs,
    behaviour: persona.steps.map(describeStep).join(', '),
  };
}

/** "answered", "answered, hangs up", "486", "no answer" — for tables. */
export function outcomeText(expected: ExpectedOutcome): string {
  switch (expected.outcome) {
    case 'answered':
      return expected.hangsUp ? 'answered (hangs up first)' : 'answered';
    case 'failed':
      return `fails ${expected.status}`;
    case 'no-answer':
      return `no answer (${expected.status} after ${seconds(expected.giveUpAfterMs)})`;
  }
}
