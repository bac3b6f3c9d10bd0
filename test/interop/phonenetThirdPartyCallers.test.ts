/**
 * Personas called by SIP clients nobody here wrote: baresip dials the Mandarin customer (it plays
 * a prompt; the persona waits for it to end and answers — baresip records the reply), and the
 * key-pressing persona (baresip reports the RFC 4733 digit); sipp's UAC scenarios call the persona
 * that hangs up during the prompt (it must send BYE) and the busy line (486).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readWav } from '../../src/media/wavReader.js';
import { silentLogger } from '../../src/observability/logger.js';
import { BUILTIN_NUMBERS } from '../../src/phonenet/builtinPersonas.js';
import { Carrier } from '../../src/phonenet/carrier.js';
import type { PersonaCallResult } from '../../src/phonenet/personaCall.js';
import { SyntheticVoice } from '../../src/phonenet/syntheticVoice.js';
import { findInRecording, pcmWav, ulawWav } from '../helpers/audio.js';
import { BaresipControl } from '../helpers/baresipControl.js';
import { laneRtpPorts, peerRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { fixture, stopChild, waitForExit, waitUntil } from '../helpers/sipPeers.js';

const voice = new SyntheticVoice();
const PROMPT = voice.render('您好，这里是智能外呼平台', 'xiaoyun');
let carrier: Carrier;

before(async () => {
  carrier = await Carrier.create({
    sipPort: 0,
    ...laneRtpPorts('phonenet'),
    voice,
    logger: silentLogger(),
  });
});
after(async () => {
  await carrier.close();
});

function assertIdle(): void {
  const s = carrier.telephony.ua.stats();
  assert.equal(s.calls, 0);
  assert.equal(s.dialogs, 0);
  assert.equal(carrier.telephony.openMediaSessions, 0);
}

/** The result of the next call to `number` on the carrier. */
function nextCallTo(number: string): Promise<PersonaCallResult> {
  return new Promise((resolve) => {
    const listener = (r: PersonaCallResult) => {
      if (r.number !== number) return;
      carrier.off('callEnded', listener);
      resolve(r);
    };
    carrier.on('callEnded', listener);
  });
}

interface BaresipCaller {
  child: ChildProcess;
  ctrl: BaresipControl;
  output: () => string;
  /** What baresip heard (its decoder-side recording). */
  heard(): Int16Array;
  stop(): Promise<void>;
}

/** baresip dialling `target` at start (-e /dial), playing `prompt` then silence, recording what it hears. */
async function baresipCalls(target: string, prompt: Int16Array, seconds: number): Promise<BaresipCaller> {
  const dir = mkdtempSync(join(tmpdir(), 'baresip-caller-'));
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  const padded = new Int16Array(seconds * 8000);
  padded.set(prompt);
  writeFileSync(join(dir, 'prompt.wav'), pcmWav(padded));
  const sipPort = await freePort();
  const ctrlPort = await freePort();
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'dns_server 127.0.0.1:53',
      `audio_source aufile,${join(dir, 'prompt.wav')}`,
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `rtp_ports ${peerRtpPorts()}`,
      'rtcp_mux no',
      'jitter_buffer_delay 5-10',
      'statmode_default off',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module sndfile.so',
      'module aufile.so',
      'module alsa.so',
      'module_tmp account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      `snd_path ${rec}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'accounts'),
    `<sip:caller@127.0.0.1:${sipPort}>;regint=0;audio_codecs=PCMU/8000/1,PCMA/8000/1\n`,
  );
  const child = spawn('baresip', ['-f', dir, '-4', '-e', `/dial ${target}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => out.includes('baresip is ready.') || child.exitCode !== null, 5000, 'baresip');
    const ctrl = await BaresipControl.connect(ctrlPort);
    return {
      child,
      ctrl,
      output: () => out,
      heard: () => {
        const file = readdirSync(rec).find((f) => f.endsWith('-dec.wav'));
        assert.ok(file, `baresip recorded nothing: ${readdirSync(rec).join(', ')}\n${out}`);
        return readWav(readFileSync(join(rec, file))).samples;
      },
      stop: async () => {
        ctrl.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('baresip calls the Mandarin customer, plays its prompt, and records the reply 你好', async () => {
  const number = BUILTIN_NUMBERS['cooperative-zh'];
  const done = nextCallTo(number);
  const peer = await baresipCalls(carrier.uriFor(number), PROMPT, 8);
  try {
    const result = await done;
    await sleep(300); // baresip closes its recording after the BYE
    assert.equal(result.outcome, 'answered');
    const heard = result.events.filter((e) => e.type === 'heard');
    assert.ok(heard.length >= 1, 'the persona heard the prompt');
    const said = result.events.filter((e) => e.type === 'said');
    assert.equal(said[0]?.text, '你好');
    assert.ok(
      (said[0]!.startMs as number) >= (heard[0]!.endMs as number),
      'it replied after the prompt ended',
    );
    const reply = findInRecording(voice.render('你好', 'xiaogang'), peer.heard(), 400);
    assert.ok(reply.envelope > 0.85, `the reply at baresip: ${JSON.stringify(reply)}`);
  } finally {
    await peer.stop();
  }
  assertIdle();
});

test('baresip calls the key-pressing persona and receives the digit 1 after its prompt', async () => {
  const number = BUILTIN_NUMBERS['presses-keys'];
  const done = nextCallTo(number);
  const peer = await baresipCalls(carrier.uriFor(number), PROMPT, 6);
  try {
    await waitUntil(() => peer.ctrl.digits().length > 0, 15_000, 'a digit at baresip');
    assert.equal(peer.ctrl.digits()[0], '1');
    const result = await done;
    assert.equal(result.events.filter((e) => e.type === 'dtmf-sent')[0]?.digit, '1');
  } finally {
    await peer.stop();
  }
  assertIdle();
});

async function sippCalls(scenario: string, number: string): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-uac-'));
  writeFileSync(join(dir, 'platform_prompt_ulaw.wav'), ulawWav(PROMPT));
  const child = spawn(
    'sipp',
    [
      `127.0.0.1:${carrier.sipPort}`,
      '-sf',
      fixture(`sipp/${scenario}`),
      '-s',
      number,
      '-i',
      '127.0.0.1',
      '-mi',
      '127.0.0.1',
      '-p',
      String(await freePort()),
      '-cp',
      String(await freePort()),
      '-mp',
      String(await freePort({ pairPlus2: true })),
      '-m',
      '1',
      '-nostdin',
      '-trace_err',
      '-timeout',
      '20s',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  try {
    const code = await waitForExit(child, 25_000);
    const errors = readdirSync(dir)
      .filter((f) => f.endsWith('_errors.log'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    return { code, output: out.slice(-2000) + errors };
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

test("sipp calls the persona that hangs up early: it hears sipp's prompt start and sends BYE 1.5 s in", async () => {
  const number = BUILTIN_NUMBERS['hangs-up-early'];
  const done = nextCallTo(number);
  const sipp = await sippCalls('uac_call_persona.xml', number);
  assert.equal(sipp.code, 0, sipp.output);
  const result = await done;
  const heard = result.events.find((e) => e.type === 'heard');
  const bye = result.events.find((e) => e.type === 'bye-sent');
  assert.ok(heard && bye, JSON.stringify(result.events));
  assert.ok(bye.t - (heard.startMs as number) >= 1400);
  assertIdle();
});

test('sipp calls the busy line and gets 486 Busy Here', async () => {
  const number = BUILTIN_NUMBERS.busy;
  const done = nextCallTo(number);
  const sipp = await sippCalls('uac_call_persona_busy.xml', number);
  assert.equal(sipp.code, 0, sipp.output);
  assert.equal((await done).status, 486);
  assertIdle();
});
