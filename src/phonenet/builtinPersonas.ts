/**
 * The personas every smartcall ships, at fixed numbers in the 1380000xxxx block (mainland mobiles,
 * since SmartCall only dials those). Written in the persona file format itself — this text doubles
 * as its fullest example — and checked by the same parser. Kept short (a few seconds each) so that
 * demos and tests stay quick, but with real ring times. The table in src/phonenet/README.md lists them.
 */
import { parsePersonaText } from './personaFile.js';
import type { Persona } from './personaSchema.js';

export const BUILTIN_PERSONAS_YAML = `
personas:
  - name: cooperative-zh
    number: "13800000001"
    description: A cooperative customer who answers in Mandarin, one short reply per prompt.
    voice: xiaogang
    maxCallMs: 120000
    steps:
      - ring: 1500
      - answer
      - wait: prompt-end
      - say: 你好
      - wait: prompt-end
      - say: 是的
      - wait: prompt-end
      - say: 好的，可以
      - wait: prompt-end

  - name: cooperative-en
    number: "13800000002"
    description: A cooperative customer who answers in English.
    voice: harry
    maxCallMs: 120000
    steps:
      - ring: 1500
      - answer
      - wait: prompt-end
      - say: hello
      - wait: prompt-end
      - say: "yes"
      - wait: prompt-end
      - say: please call me later
      - wait: prompt-end

  - name: busy
    number: "13800000003"
    description: The line is busy.
    steps:
      - wait: 300
      - reject: { status: 486, reason: Busy Here }

  - name: no-answer
    number: "13800000004"
    description: Rings and nobody picks up; the caller's ring timeout decides (the network gives up with 480 after 120 s).
    maxCallMs: 120000
    steps:
      - never-answer

  - name: rejects
    number: "13800000005"
    description: Rings, then the callee declines the call.
    steps:
      - ring: 1500
      - reject: { status: 603, reason: Decline }

  - name: powered-off
    number: "13800000006"
    description: The phone is switched off; the network says so in early media (183), then fails the call.
    voice: xiaoyun
    steps:
      - announce: 您拨打的电话已关机
      - wait: 200
      - reject: { status: 480, reason: Temporarily Unavailable }

  - name: silent
    number: "13800000007"
    description: Answers and never says a word (exercises silence timeouts); hangs up after 60 s.
    steps:
      - ring: 1000
      - answer
      - silence: 60000
      - hangup

  - name: presses-keys
    number: "13800000008"
    description: Answers and replies to prompts with keys (RFC 4733) instead of words.
    maxCallMs: 120000
    steps:
      - ring: 1000
      - answer
      - wait: prompt-end
      - dtmf: "1"
      - wait: prompt-end
      - dtmf: "2#"
      - wait: prompt-end

  - name: talks-over
    number: "13800000009"
    description: Interrupts the first prompt a second after it starts (barge-in), then answers the next one.
    voice: ruoxi
    maxCallMs: 120000
    steps:
      - ring: 1000
      - answer
      - barge-in: { text: 我现在没空, afterMs: 1000 }
      - wait: prompt-end
      - say: 不需要
      - wait: prompt-end

  - name: hangs-up-early
    number: "13800000010"
    description: Answers and hangs up 1.5 s into the first prompt.
    steps:
      - ring: 1000
      - answer
      - wait: prompt-start
      - wait: 1500
      - hangup

  - name: vacant
    number: "13800000011"
    description: The number does not exist; the network says so in early media, then 404.
    voice: xiaoyun
    steps:
      - announce: 您拨打的号码是空号
      - wait: 200
      - reject: { status: 404, reason: Not Found }
`;

let cached: readonly Persona[] | undefined;

export function builtinPersonas(): readonly Persona[] {
  cached ??= parsePersonaText(BUILTIN_PERSONAS_YAML, 'builtin-personas.yaml');
  return cached;
}

/** The built-in numbers by persona name (tests and docs). */
export const BUILTIN_NUMBERS = {
  'cooperative-zh': '13800000001',
  'cooperative-en': '13800000002',
  busy: '13800000003',
  'no-answer': '13800000004',
  rejects: '13800000005',
  'powered-off': '13800000006',
  silent: '13800000007',
  'presses-keys': '13800000008',
  'talks-over': '13800000009',
  'hangs-up-early': '13800000010',
  vacant: '13800000011',
} as const;
