/**
 * Media on worker threads (Telephony `mediaWorkers`): a real SIP call from a Telephony whose media
 * runs in worker threads to one whose media runs in-thread, over loopback UDP. What the call engine
 * relies on must hold as in-thread: audio both ways, frames only while listened to, prompts with
 * their start/end events (a flush ends them before it returns), DTMF, a correct two-channel
 * recording — and a worker that dies ends only its own calls and is replaced.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CallMedia } from '../../src/media/callMedia.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { SequenceSource } from '../../src/media/sequenceSource.js';
import { readWavFile } from '../../src/media/wavReader.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { DtmfDigitEvent } from '../../src/rtp/dtmfReceiver.js';
import { InboundCall } from '../../src/telephony/inboundCall.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { freePort } from '../helpers/ports.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tone(hz: number, seconds: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(8000 * seconds);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

function loud(pcm: Int16Array): boolean {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / pcm.length) > 1000;
}

let workers: Telephony;
let far: Telephony;
let farUri: string;
const dir = mkdtempSync(join(tmpdir(), 'media-workers-'));
/** What the far end heard, per call (by its media's local port). */
const farHeard: { loudFrames: number; digits: string[] }[] = [];

before(async () => {
  const rtpA = await freePort({ tcp: false });
  const rtpB = await freePort({ tcp: false });
  workers = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: rtpA,
    rtpPortMax: rtpA + 80,
    mediaWorkers: 2,
    logger: silentLogger(),
  });
  far = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: rtpB,
    rtpPortMax: rtpB + 80,
    logger: silentLogger(),
  });
  far.ua.on('incoming', (sip) => {
    const call = new InboundCall(far, sip);
    const heard = { loudFrames: 0, digits: [] as string[] };
    farHeard.push(heard);
    call.answer().then(
      (media) => {
        media.play(new PcmSource(tone(700, 30)));
        media.on('frame', (pcm) => {
          if (loud(pcm)) heard.loudFrames++;
        });
        media.on('dtmf', (e: DtmfDigitEvent) => heard.digits.push(e.digit));
      },
      () => {},
    );
  });
  farUri = `sip:far@127.0.0.1:${far.ua.localEndpoint('udp')!.port}`;
});

after(async () => {
  await workers.close();
  await far.close();
  rmSync(dir, { recursive: true, force: true });
});

async function placeCall(): Promise<OutboundCall> {
  const call = await OutboundCall.place(workers, { target: farUri, setupTimeoutMs: 5000 });
  await once(call, 'answered');
  return call;
}

test('a call whose media runs in a worker: audio both ways, prompts, flush, DTMF, recording', async () => {
  const call = await placeCall();
  const media: CallMedia = call.media;
  assert.deepEqual(
    workers.mediaWorkers!.load.reduce((a, b) => a + b, 0),
    1,
    'the call runs on one of the threads',
  );
  let loudFrames = 0;
  const onFrame = (pcm: Int16Array) => {
    if (loud(pcm)) loudFrames++;
  };
  media.on('frame', onFrame);
  const recording = join(dir, 'call.wav');
  await media.startRecording(recording);

  const events: string[] = [];
  media.on('playStarted', (e) => events.push(`started:${e.id}`));
  media.on('playEnded', (e) => events.push(`ended:${e.id}:${e.reason}`));
  const first = media.play(new PcmSource(tone(450, 1)), { id: 'hello' });
  assert.equal(first, 'hello');
  await once(media, 'playEnded');
  assert.deepEqual(events, ['started:hello', 'ended:hello:completed']);

  media.play(new PcmSource(tone(450, 10)), { id: 'long' });
  media.play(new PcmSource(tone(450, 10)), { id: 'queued' });
  await once(media, 'playStarted');
  assert.equal(media.playing?.id, 'long');
  assert.equal(media.queuedItems, 1);
  await sleep(300);
  media.flushPlayout();
  // As in-thread: the items are over before flushPlayout returns.
  assert.deepEqual(events.slice(2), ['started:long', 'ended:long:flushed', 'ended:queued:flushed']);
  assert.equal(media.playing, undefined);
  assert.equal(media.queuedItems, 0);

  media.sendDtmf('5');
  await once(media, 'dtmfSent');
  await sleep(300);
  const heardByFar = farHeard.at(-1)!;
  assert.deepEqual(heardByFar.digits, ['5'], 'the far end received the digit');
  assert.ok(
    heardByFar.loudFrames >= 40,
    `the far end heard our prompts (${heardByFar.loudFrames} loud frames)`,
  );
  assert.ok(loudFrames >= 50, `we heard the far end (${loudFrames} loud frames)`);
  assert.ok(media.recordingStartedAt !== undefined, 'the recording reported its first frame');

  // No listener: no frames cross the thread any more.
  media.off('frame', onFrame);
  const stats = await media.refreshStats();
  assert.ok(stats.audioPacketsSent > 50, `packets sent: ${stats.audioPacketsSent}`);
  assert.ok(stats.jitter.received > 50, `packets received: ${stats.jitter.received}`);

  const ended = once(call, 'ended');
  call.hangup();
  await ended;
  assert.ok(call.recording, 'the recording is reported at the end');
  assert.ok(call.recording.durationMs > 1000, `recorded ${call.recording.durationMs} ms`);
  const wav = readFileSync(recording);
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.readUInt16LE(22), 2, 'two channels');
  assert.equal(wav.readUInt32LE(4), wav.length - 8, 'the header was finished');
  assert.deepEqual(workers.mediaWorkers!.load, [0, 0], 'the thread let the call go');
  assert.equal(workers.openMediaSessions, 0);
});

test('a listener that throws is logged, not fatal: the call and the thread go on', async () => {
  const call = await placeCall();
  const heard: string[] = [];
  call.media.on('playEnded', () => {
    throw new Error('a bug in a playEnded listener');
  });
  call.media.on('playStarted', (e) => heard.push(e.id));
  call.media.play(new PcmSource(tone(450, 0.2)), { id: 'short' });
  await once(call.media, 'playStarted');
  await sleep(500);
  call.media.play(new PcmSource(tone(450, 0.2)), { id: 'again' });
  await sleep(500);
  assert.ok(heard.includes('again'), 'the session still plays and reports after the throw');
  const ended = once(call, 'ended');
  call.hangup();
  await ended;
});

test('onNextSend: a replaced or unanswered request leaves nothing behind', async () => {
  const call = await placeCall();
  const reports: boolean[] = [];
  call.media.onNextSend(() => reports.push(true));
  call.media.onNextSend(() => reports.push(true)); // replaces the first, as in-thread
  await sleep(100);
  assert.equal(reports.length, 1, 'only the last one reports');
  call.media.onNextSend(() => reports.push(true));
  const ended = once(call, 'ended');
  call.hangup();
  await ended;
  await sleep(100);
  assert.equal(workers.mediaWorkers!.pendingRequests, 0, 'no request waits for a reply that never comes');
});

test('a prompt read ahead still reports the item being heard', async () => {
  const call = await placeCall();
  const source = new SequenceSource([
    new PcmSource(tone(450, 1)),
    new PcmSource(tone(550, 1)),
    new PcmSource(tone(650, 1)),
  ]);
  call.media.play(source, { id: 'three' });
  await once(call.media, 'playStarted');
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(500);
    seen.push(source.index);
  }
  // In-thread: 0 1 1 2 2 (±1 at the edges); read ahead without following playback: 3 3 3 3 3.
  assert.ok(seen[0]! <= 1 && seen[4]! >= 2, `index as heard: ${seen.join(' ')}`);
  assert.ok(
    seen.every((v, i) => i === 0 || v >= seen[i - 1]!),
    `never backwards: ${seen.join(' ')}`,
  );
  assert.ok(seen[1]! < 3, `not the read position: ${seen.join(' ')}`);
  const ended = once(call, 'ended');
  call.hangup();
  await ended;
});

test('a worker that dies while a listener replays: every call of it ends, the slot comes back', async () => {
  const a = await placeCall();
  const b = await placeCall();
  const [onA, onB] = workers.mediaWorkers!.load[0] === 2 ? [0, 0] : [0, 1];
  assert.ok(onA === 0 || onB === 1);
  // Two calls on thread 0: put the second there too by crashing after both opened on it is not
  // needed — each call replays a prompt when one ends (the dialogue's queue does this).
  for (const call of [a, b]) {
    call.media.on('playEnded', () => {
      call.media.play(new PcmSource(tone(450, 5)));
    });
    call.media.play(new PcmSource(tone(450, 10)));
  }
  await sleep(300);
  const ports = [a.media.localPort, b.media.localPort];
  const endedA = once(a, 'ended');
  const endedB = once(b, 'ended');
  await workers.mediaWorkers!.crashWorkerForTest(0);
  await workers.mediaWorkers!.crashWorkerForTest(1);
  await Promise.all([endedA, endedB]);
  await sleep(300);
  const c = await placeCall();
  assert.ok(
    !ports.includes(c.media.localPort),
    `a fresh thread does not hand out a lost call's port (${c.media.localPort})`,
  );
  const ended = once(c, 'ended');
  c.hangup();
  await ended;
});

test('a worker that dies ends only its own calls, and is replaced', async () => {
  const a = await placeCall();
  const b = await placeCall();
  assert.deepEqual(workers.mediaWorkers!.load, [1, 1], 'one call per thread');
  let bFrames = 0;
  b.media.on('frame', () => bFrames++);
  const cut = join(dir, 'cut.wav');
  await a.media.startRecording(cut);
  await sleep(2000); // the recorder patches its header every second
  const aEnded = once(a, 'ended');
  await workers.mediaWorkers!.crashWorkerForTest(0);
  const [by] = await aEnded;
  assert.equal(by, 'local', 'the call on the dead thread hung up');
  assert.ok(a.recording, 'the call still reports what its recorder wrote');
  assert.ok(a.recording.durationMs >= 900, `salvaged ${a.recording.durationMs} ms`);
  const salvaged = await readWavFile(cut);
  assert.equal(salvaged.channels, 2);
  assert.ok(salvaged.samples.length >= 7000, 'the cut recording is readable');
  const before = bFrames;
  await sleep(300);
  assert.ok(bFrames - before >= 10, 'the call on the other thread goes on');
  assert.ok(!b.media.closed);

  // The thread is back: a new call gets media and audio again.
  await sleep(200);
  const c = await placeCall();
  let loudFrames = 0;
  c.media.on('frame', (pcm) => {
    if (loud(pcm)) loudFrames++;
  });
  await sleep(500);
  assert.ok(loudFrames >= 10, `the new call hears the far end (${loudFrames})`);
  for (const call of [b, c]) {
    const ended = once(call, 'ended');
    call.hangup();
    await ended;
  }
  assert.deepEqual(workers.mediaWorkers!.load, [0, 0]);
  const restarts = workers.mediaWorkers!.threads.map((t) => t.restarts);
  assert.deepEqual(restarts, [2, 1], 'the metrics count the replacements');
});
