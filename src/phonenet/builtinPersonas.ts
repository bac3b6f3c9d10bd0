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

  # Answering-machine detection (issue 16 item 4): voicemails and people who pick up.
  - name: voicemail-short-beep-zh
    number: "13800000021"
    description: 'A voicemail with a short Mandarin greeting, then a beep (1000 Hz), then it records.'
    voice: xiaoyun
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "您好，请留言。"
      - beep: { hz: 1000, ms: 500 }
      - silence: 30000
      - hangup

  - name: voicemail-long-beep-zh
    number: "13800000022"
    description: 'A voicemail with a long Mandarin greeting and a beep.'
    voice: xiaogang
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "您好，我现在不方便接听电话，请在提示音后留言。"
      - beep: { hz: 1000, ms: 500 }
      - silence: 30000
      - hangup

  - name: voicemail-long-zh
    number: "13800000023"
    description: 'A voicemail with a long Mandarin greeting and no beep.'
    voice: xiaoyun
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "你好，我是小王，现在没办法接电话，有事请留言，我会尽快回复你。"
      - silence: 30000
      - hangup

  - name: call-screening-zh
    number: "13800000024"
    description: 'Call screening in Mandarin: asks the caller to say who they are after the tone.'
    voice: xiaoyun
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "您好，您呼叫的用户开启了来电筛选服务，请在提示音后说出您的姓名和来电事由。"
      - beep: { hz: 850, ms: 300 }
      - silence: 30000
      - hangup

  - name: voicemail-short-beep-en
    number: "13800000025"
    description: 'A voicemail with a short English greeting and a beep (1400 Hz).'
    voice: harry
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "Please leave a message."
      - beep: { hz: 1400, ms: 300 }
      - silence: 30000
      - hangup

  - name: voicemail-long-beep-en
    number: "13800000026"
    description: 'A voicemail with a long English greeting and a beep.'
    voice: emily
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "Hi, you have reached the voicemail of Tom. I cannot take your call right now. Please leave a message after the tone."
      - beep: { hz: 1000, ms: 500 }
      - silence: 30000
      - hangup

  - name: voicemail-long-en
    number: "13800000027"
    description: 'A voicemail with a long English greeting and no beep.'
    voice: emily
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "Hey, it is Anna. I am away from my phone right now, so leave me a message and I will call you later."
      - silence: 30000
      - hangup

  - name: call-screening-en
    number: "13800000028"
    description: 'Call screening in English: "the person you are calling…", then a tone.'
    voice: harry
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 300
      - say: "The person you are calling is using a call screening service. Please say your name and why you are calling after the tone."
      - beep: { hz: 850, ms: 300 }
      - silence: 30000
      - hangup

  - name: human-word-zh
    number: "13800000029"
    description: 'A person who picks up with one word (喂？), then listens and answers.'
    voice: xiaogang
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 500
      - say: "喂？"
      - wait: prompt-end
      - say: 好的
      - wait: prompt-end

  - name: human-word-en
    number: "13800000030"
    description: 'A person who picks up with one word (hello?), then listens and answers.'
    voice: harry
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 500
      - say: "Hello?"
      - wait: prompt-end
      - say: okay
      - wait: prompt-end

  - name: human-sentence-zh
    number: "13800000031"
    description: 'A person who picks up with a whole sentence, then listens and answers.'
    voice: xiaoyun
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 500
      - say: "喂，你好，哪位啊？"
      - wait: prompt-end
      - say: 好的
      - wait: prompt-end

  - name: human-sentence-en
    number: "13800000032"
    description: 'A person who picks up with a whole sentence, then listens and answers.'
    voice: emily
    maxCallMs: 60000
    steps:
      - ring: 1000
      - answer
      - wait: 500
      - say: "Hello, Mary speaking, who is calling?"
      - wait: prompt-end
      - say: okay
      - wait: prompt-end
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
  'voicemail-short-beep-zh': '13800000021',
  'voicemail-long-beep-zh': '13800000022',
  'voicemail-long-zh': '13800000023',
  'call-screening-zh': '13800000024',
  'voicemail-short-beep-en': '13800000025',
  'voicemail-long-beep-en': '13800000026',
  'voicemail-long-en': '13800000027',
  'call-screening-en': '13800000028',
  'human-word-zh': '13800000029',
  'human-word-en': '13800000030',
  'human-sentence-zh': '13800000031',
  'human-sentence-en': '13800000032',
} as const;

/** The answering-machine personas and what a detector should say of each. */
export const AMD_PERSONAS: Readonly<Record<string, 'human' | 'machine'>> = {
  'voicemail-short-beep-zh': 'machine',
  'voicemail-long-beep-zh': 'machine',
  'voicemail-long-zh': 'machine',
  'call-screening-zh': 'machine',
  'voicemail-short-beep-en': 'machine',
  'voicemail-long-beep-en': 'machine',
  'voicemail-long-en': 'machine',
  'call-screening-en': 'machine',
  'human-word-zh': 'human',
  'human-word-en': 'human',
  'human-sentence-zh': 'human',
  'human-sentence-en': 'human',
};
