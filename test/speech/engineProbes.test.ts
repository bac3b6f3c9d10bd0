/**
 * The start-up (and re-probe) check of the FunASR and Vosk engines runs a real test task, not just
 * a connection (issue 19 item 17): a server that accepts and never answers, or the offline-only
 * `funasr-wss-server` behind a 2pass configuration, is reported down with the cause; a server
 * that answers is up, and one that starts answering later is brought up by the re-probe. Also: an
 * edited ASR model reaches a remote engine without a restart (the engine cache follows the record).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { AsrEvent } from '../../src/speech/asr.js';
import { parseSpeechConfig, type SpeechConfigInput } from '../../src/speech/speechConfig.js';
import {
  type AsrModelPhrases,
  SpeechEngines,
  type SpeechEnginesOptions,
} from '../../src/speech/speechEngines.js';
import { funAsrServer, type Peer, silentServer, voskServer } from './wsPeers.js';

const peers: Peer[] = [];
const started: SpeechEngines[] = [];
after(async () => {
  for (const e of started) await e.close();
  for (const p of peers) await p.close();
});

async function peer(p: Promise<Peer>): Promise<Peer> {
  const made = await p;
  peers.push(made);
  return made;
}

async function start(
  asr: SpeechConfigInput['asr'],
  extra: Partial<SpeechConfigInput> = {},
  asrModels?: SpeechEnginesOptions['asrModels'],
): Promise<SpeechEngines> {
  const engines = await SpeechEngines.start({
    config: parseSpeechConfig({ asr, ...extra }),
    withoutTts: true,
    asrModels,
  });
  started.push(engines);
  return engines;
}

const health = (engines: SpeechEngines, name: string) => engines.health.find((h) => h.name === name)!;

async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FunASR start-up probe', () => {
  test('a server that accepts and never answers is down, with the cause; one that answers is up', async () => {
    const mute = await peer(silentServer());
    const real = await peer(funAsrServer());
    const engines = await start({
      engines: {
        mute: { type: 'funasr', url: mute.url, timeoutMs: 300 },
        real: { type: 'funasr', url: real.url, timeoutMs: 2000 },
      },
      default: 'mute',
    });
    assert.equal(health(engines, 'mute').ok, false);
    assert.equal(
      health(engines, 'mute').detail,
      `${mute.url}: connected but no answer to a test task within 300 ms: is it the 2pass/online server (funasr-wss-server-2pass)? The Python demo server sends no is_final, and a server still loading its models answers nothing`,
    );
    assert.equal(engines.asr().name, 'phrase:customer_service_8k', 'calls use the embedded engine');
    assert.equal(health(engines, 'real').ok, true, health(engines, 'real').detail);
    // The probe ran the task a call runs: start message, audio at 16 kHz, end flag.
    assert.equal(real.received[0]!.mode, '2pass');
    assert.equal(real.received[0]!.audio_fs, 16000);
    assert.ok(real.audioBytes() >= 0.5 * 16000 * 2, `0.5 s of 16 kHz audio: ${real.audioBytes()} bytes`);
    assert.deepEqual(real.received.at(-1), { is_speaking: false });
  });

  test('the offline-only funasr-wss-server is down for a 2pass engine and up for mode: offline', async () => {
    const offline = await peer(funAsrServer({ offlineOnly: true }));
    const engines = await start({
      engines: {
        streaming: { type: 'funasr', url: offline.url, timeoutMs: 300 },
        batch: { type: 'funasr', url: offline.url, mode: 'offline', timeoutMs: 2000 },
      },
    });
    assert.equal(health(engines, 'streaming').ok, false);
    assert.match(
      health(engines, 'streaming').detail!,
      /answered a 2pass test task the way the offline funasr-wss-server does .*run funasr-wss-server-2pass, or set mode: offline/,
    );
    assert.equal(health(engines, 'batch').ok, true, health(engines, 'batch').detail);
  });

  test('an engine whose server hung at start-up is brought up by the re-probe once it answers', async () => {
    const later = await peer(funAsrServer({ hang: (connection) => connection === 1 }));
    const engines = await start(
      { engines: { far: { type: 'funasr', url: later.url, timeoutMs: 300 } }, default: 'far' },
      { reprobeMs: 200 },
    );
    assert.equal(health(engines, 'far').ok, false);
    assert.match(health(engines, 'far').detail!, /connected but no answer to a test task within 300 ms/);
    await until('the re-probe', () => health(engines, 'far').ok, 3000);
    assert.equal(engines.asr().name, 'funasr');
  });
});

describe('Vosk start-up probe', () => {
  test('a server that accepts and never answers is down, with the cause; asr_server.py is up', async () => {
    const mute = await peer(silentServer());
    const real = await peer(voskServer());
    const engines = await start({
      engines: {
        mute: { type: 'vosk', url: mute.url, timeoutMs: 300 },
        real: { type: 'vosk', url: real.url, timeoutMs: 2000 },
      },
    });
    assert.equal(health(engines, 'mute').ok, false);
    assert.equal(
      health(engines, 'mute').detail,
      `${mute.url}: connected but no answer to a test task (config, 200 ms of silence, {"eof" : 1}) within 300 ms: is it vosk-server's websocket/asr_server.py, and has it loaded its model?`,
    );
    assert.equal(health(engines, 'real').ok, true, health(engines, 'real').detail);
    assert.deepEqual(real.receivedText.at(-1), '{"eof" : 1}');
    assert.ok('config' in real.received[0]!);
  });
});

describe('an edited ASR model on a remote engine', () => {
  test("new calls send the model's new phrases without a restart", async () => {
    const vosk = await peer(voskServer());
    let record: AsrModelPhrases = { id: 'm1', name: 'greetings', phrases: 'wrong number\n', createdAt: 1000 };
    const engines = await start(
      { engines: { cloud: { type: 'vosk', url: vosk.url } }, default: 'cloud' },
      {},
      {
        find: (accountId, id) => (accountId === 7 && id === record.id ? record : undefined),
      },
    );
    const grammar = async () => {
      const events: AsrEvent[] = [];
      const stream = engines
        .asr({ accountId: 7, asrModelId: 'm1' })
        .createStream({ onEvent: (e) => events.push(e) });
      stream.write(new Int16Array(160));
      await stream.finish();
      stream.close();
      const configs = vosk.received.filter((m) => 'config' in m);
      return (configs.at(-1)!.config as { phrase_list?: string[] }).phrase_list;
    };
    assert.deepEqual(await grammar(), ['wrong number', '[unk]']);
    record = { ...record, phrases: 'call me later\nwrong number\n', createdAt: 2000 }; // written again
    assert.deepEqual(await grammar(), ['call me later', 'wrong number', '[unk]']);
  });
});
