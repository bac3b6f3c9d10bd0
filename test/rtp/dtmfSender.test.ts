import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DtmfSender } from '../../src/rtp/dtmfSender.js';
import { eventCodeAt, eventDurationAt, eventEndAt, eventVolumeAt } from '../../src/rtp/telephoneEvent.js';

interface Tick {
  packet: boolean;
  marker?: boolean;
  ts?: number;
  event?: number;
  end?: boolean;
  duration?: number;
  volume?: number;
}

/** Runs `ticks` ticks of 160 samples starting at media timestamp `ts0`, recording what each produced. */
function run(sender: DtmfSender, ticks: number, ts0 = 0): Tick[] {
  const out: Tick[] = [];
  const payload = new Uint8Array(4);
  for (let i = 0; i < ticks; i++) {
    if (!sender.next(ts0 + i * 160, payload)) {
      out.push({ packet: false });
      continue;
    }
    out.push({
      packet: true,
      marker: sender.marker,
      ts: sender.timestamp,
      event: eventCodeAt(payload, 0),
      end: eventEndAt(payload, 0),
      duration: eventDurationAt(payload, 0),
      volume: eventVolumeAt(payload, 0),
    });
  }
  return out;
}

describe('DtmfSender (RFC 4733 §2.5.1)', () => {
  test('sends one digit as start, continuation and three end packets sharing the start timestamp', () => {
    const sender = new DtmfSender({ durationMs: 100, gapMs: 40, volume: 10 });
    sender.enqueue('5');
    const ticks = run(sender, 10, 8000);
    const e = { event: 5, volume: 10, ts: 8000 };
    assert.deepEqual(ticks, [
      { packet: true, marker: true, end: false, duration: 160, ...e },
      { packet: true, marker: false, end: false, duration: 320, ...e },
      { packet: true, marker: false, end: false, duration: 480, ...e },
      { packet: true, marker: false, end: false, duration: 640, ...e },
      { packet: true, marker: false, end: true, duration: 800, ...e },
      { packet: true, marker: false, end: true, duration: 800, ...e },
      { packet: true, marker: false, end: true, duration: 800, ...e },
      { packet: false },
      { packet: false },
      { packet: false },
    ]);
  });

  test('is busy (audio paused) only while an event is on the wire, not during the gap', () => {
    const sender = new DtmfSender({ durationMs: 40, gapMs: 40 });
    sender.enqueue('1');
    const busy: boolean[] = [];
    const payload = new Uint8Array(4);
    for (let i = 0; i < 8; i++) {
      sender.next(i * 160, payload);
      busy.push(sender.busy);
    }
    // 2 tone packets (the second is the first end packet), 2 more end packets, then 40 ms of gap.
    assert.deepEqual(busy, [true, true, true, false, false, false, false, false]);
  });

  test('sends queued digits in order, each with its own timestamp and event code', () => {
    const sender = new DtmfSender({ durationMs: 60, gapMs: 20 });
    sender.enqueue('*#A9');
    const starts = run(sender, 40)
      .filter((t) => t.marker)
      .map((t) => [t.event, t.ts]);
    // Each digit takes 2 tone ticks + 3 end ticks + 1 gap tick = 6 ticks.
    assert.deepEqual(starts, [
      [10, 0],
      [11, 960],
      [12, 1920],
      [9, 2880],
    ]);
  });

  test('reports each finished digit once', () => {
    const sender = new DtmfSender({ durationMs: 40, gapMs: 0 });
    sender.enqueue('12');
    const done: string[] = [];
    const payload = new Uint8Array(4);
    for (let i = 0; i < 12; i++) {
      sender.next(i * 160, payload);
      const d = sender.takeCompleted();
      if (d) done.push(`${d.digit}@${d.timestamp}/${d.durationMs}`);
    }
    assert.deepEqual(done, ['1@0/40', '2@640/40']);
    assert.equal(sender.pending, false);
  });

  test('rejects characters that are not DTMF digits, naming them', () => {
    const sender = new DtmfSender();
    assert.throws(() => sender.enqueue('12x'), /not a DTMF digit: "x"/);
    assert.equal(sender.pending, false);
    sender.enqueue('abcd');
    assert.equal(sender.pending, true);
  });
});
