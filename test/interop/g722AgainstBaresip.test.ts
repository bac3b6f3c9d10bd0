/**
 * G.722 against baresip (its g722 module, spandsp's codec) as a callee that offers and accepts only
 * G722: the answer takes payload type 9, what we play comes out of baresip's decoder, what it plays
 * reaches us (the 8 kHz `frame` path and the 16 kHz `wideFrame` path), and our recording is a
 * 16 kHz WAV whose left channel keeps the 6 kHz tone baresip sends — audio no 8 kHz path can carry,
 * the proof the call is wideband end to end. Then the same over SRTP (baresip `mediaenc=srtp-mand`):
 * encrypt after encoding, decrypt before decoding.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PcmSource } from '../../src/media/pcmSource.js';
import { resample } from '../../src/media/resampler.js';
import { readWav } from '../../src/media/wavReader.js';
import { encodeWav } from '../../src/media/wavWriter.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { MediaDescriptionSummary } from '../../src/sip/index.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { chirp, FrameCollector, findInRecording } from '../helpers/audio.js';
import { laneRtpPorts, peerRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { startBaresipCallee } from '../helpers/sipPeers.js';
import { tempDir } from '../helpers/tempDir.js';

/**
 * A chirp whose envelope never repeats within it: the wideband path delays audio by a fraction of a
 * 10 ms window (the 2:1 filters), and a strictly periodic envelope would then match as well one AM
 * period off, where the waveforms do not.
 */
function signature(seconds: number, f0: number, f1: number, amHz: number): Int16Array {
  const x = chirp(seconds, f0, f1, amHz);
  for (let i = 0; i < x.length; i++)
    x[i] = Math.round(x[i]! * (0.6 + 0.4 * Math.sin((2 * Math.PI * 0.7 * i) / 8000)));
  return x;
}
const OURS = signature(3, 300, 1500, 3); // what smartcall plays (8 kHz)
const THEIRS = signature(3, 1800, 500, 5); // what baresip plays first (8 kHz, sent at 16 kHz)
const TONE_HZ = 6000; // then a tone only wideband audio can carry
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tel: Telephony;
const dir = tempDir();
before(async () => {
  tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: 0,
    ...laneRtpPorts('rtp'),
    timers: { t1: 100 },
    logger: silentLogger(),
  });
});
after(async () => {
  await tel.close();
  dir.remove();
});

/** baresip's prompt at 16 kHz: THEIRS, 0.5 s of silence, 2 s of the 6 kHz tone, silence. */
function theirPrompt(): Int16Array {
  const out = new Int16Array(8 * 16000); // baresip hangs up a second after its prompt ends
  out.set(resample(THEIRS, 8000, 16000));
  const toneAt = 3.5 * 16000;
  for (let i = 0; i < 2 * 16000; i++)
    out[toneAt + i] = Math.round(10_000 * Math.sin((2 * Math.PI * TONE_HZ * i) / 16000));
  return out;
}

/** Power of `hz` (Goertzel) over `x[from, from + n)`, as a share of the window's total power. */
function toneShare(x: Int16Array, from: number, n: number, rate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (let i = from; i < from + n; i++) {
    const s0 = x[i]! + k * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += x[i]! * x[i]!;
  }
  const power = (s1 * s1 + s2 * s2 - k * s1 * s2) / (n / 2); // ≈ Σx² of the tone component
  return total === 0 ? 0 : power / total;
}

/** The left (remote) channel of the recorder's 16-bit stereo WAV (44-byte header). */
function leftChannel(bytes: Buffer): Int16Array {
  const frames = (bytes.length - 44) / 4;
  const left = new Int16Array(frames);
  for (let i = 0; i < frames; i++) left[i] = bytes.readInt16LE(44 + 4 * i);
  return left;
}

for (const srtp of [false, true]) {
  test(`a G.722 call with baresip${srtp ? ' over SRTP (required)' : ''}: pt 9 both ways, audio both ways, a 16 kHz recording that keeps 6 kHz`, async (t) => {
    const port = await freePort();
    const prompt = join(dir.path, `theirs-${port}.wav`);
    writeFileSync(prompt, encodeWav([theirPrompt()], 16000));
    const peer = await startBaresipCallee({
      port,
      rtpPorts: peerRtpPorts(),
      promptWav: prompt,
      audioCodecs: 'G722/16000/1',
      ...(srtp && { mediaenc: 'srtp-mand' }),
    });
    const recordingPath = join(dir.path, `call-${port}.wav`);
    try {
      const call = await OutboundCall.place(tel, {
        target: `sip:callee@127.0.0.1:${port}`,
        codecs: ['G722', 'PCMU'],
        ...(srtp && { srtp: 'required' as const }),
      });
      const heard = new FrameCollector();
      const heardWide = new FrameCollector();
      call.media.on('frame', heard.add);
      call.media.on('wideFrame', heardWide.add);
      const [answer] = (await once(call, 'answered')) as [MediaDescriptionSummary];
      assert.deepEqual(
        answer.codec,
        { payloadType: 9, name: 'G722', clockRate: 8000 },
        'baresip answered G722',
      );
      assert.equal(call.media.codec, 'G722');
      assert.equal(answer.secure, srtp, 'RTP/SAVP when SRTP is required');
      await call.media.startRecording(recordingPath);
      call.media.play(new PcmSource(OURS, 8000), { id: 'ours' });
      await sleep(6500);
      assert.equal(call.media.wideband, true, 'receiving G.722');
      call.hangup();
      await once(call, 'ended');
      const stats = call.media.stats;
      assert.ok(stats.rtp.packetsReceived > 250, `G.722 packets received: ${stats.rtp.packetsReceived}`);
      assert.equal(stats.unknownPayloadType, 0, 'every packet was G.722 (or an event)');
      assert.ok(stats.audioPacketsSent > 250);
      assert.equal(stats.rtp.srtpAuthFailures, 0, 'SRTP: every G.722 packet authenticated');

      // What we played, out of baresip's G.722 decoder.
      await sleep(300); // baresip closes its recording after the BYE
      const theirRecording = peer.recordings().find((f) => f.endsWith('-dec.wav'));
      assert.ok(
        theirRecording,
        `baresip recorded nothing: ${peer.recordings().join(', ')}\n${peer.output()}`,
      );
      const atBaresipWav = readWav(readFileSync(theirRecording));
      const atBaresip8k =
        atBaresipWav.sampleRate === 8000
          ? atBaresipWav.samples
          : resample(atBaresipWav.samples, atBaresipWav.sampleRate, 8000);
      const atBaresip = findInRecording(OURS, atBaresip8k);
      assert.ok(
        atBaresip.envelope > 0.9 && atBaresip.waveform > 0.8,
        `our prompt at baresip: ${JSON.stringify(atBaresip)}`,
      );

      // What baresip played, on our 8 kHz path and on the 16 kHz one.
      const atUs = findInRecording(THEIRS, heard.samples());
      assert.ok(
        atUs.envelope > 0.9 && atUs.waveform > 0.8,
        `baresip's prompt at us: ${JSON.stringify(atUs)}`,
      );
      const wide = heardWide.samples();
      assert.ok(wide.length >= 2 * heard.samples().length - 640, 'a wide frame with every frame');
      const atUsWide = findInRecording(THEIRS, resample(wide, 16000, 8000));
      assert.ok(
        atUsWide.envelope > 0.9 && atUsWide.waveform > 0.8,
        `on wideFrame: ${JSON.stringify(atUsWide)}`,
      );

      // The recording: 16 kHz, stereo; its left channel holds the 6 kHz tone (not so the 8 kHz path).
      const bytes = readFileSync(recordingPath);
      const info = readWav(bytes);
      assert.equal(info.sampleRate, 16000, 'WAV header says 16000');
      assert.equal(info.channels, 2);
      const left = leftChannel(bytes);
      const window = 1600; // 100 ms
      let best = 0;
      let bestAt = 0;
      for (let at = 0; at + window <= left.length; at += window / 2) {
        const share = toneShare(left, at, window, 16000, TONE_HZ);
        if (share > best) {
          best = share;
          bestAt = at;
        }
      }
      let energy = 0;
      for (let i = bestAt; i < bestAt + window; i++) energy += left[i]! * left[i]!;
      const rms = Math.sqrt(energy / window);
      assert.ok(
        best > 0.8 && rms > 2000,
        `6 kHz in the recording: share ${best.toFixed(3)}, rms ${rms.toFixed(0)}`,
      );
      t.diagnostic(
        JSON.stringify({ atBaresip, atUs, atUsWide, toneShare: best, toneRms: rms, jitter: stats.jitter }),
      );
      const narrow = heard.samples();
      let narrowPeak = 0;
      for (let at = 0; at + 800 <= narrow.length; at += 400) {
        let e = 0;
        for (let i = at; i < at + 800; i++) e += narrow[i]! * narrow[i]!;
        narrowPeak = Math.max(narrowPeak, Math.sqrt(e / 800));
      }
      assert.ok(narrowPeak > 2000, 'the 8 kHz path heard the chirp');
    } finally {
      await peer.stop();
    }
    const s = tel.ua.stats();
    assert.equal(s.calls, 0, 'no call left');
    assert.equal(s.dialogs, 0, 'no dialog left');
    assert.equal(tel.openMediaSessions, 0, 'no RTP session left');
  });
}
