import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CallRecorder } from '../../src/media/callRecorder.js';
import { readWav } from '../../src/media/wavReader.js';

const FRAME = 160;
const frameOf = (value: number) => new Int16Array(FRAME).fill(value);

/** The stereo samples of a 44-byte-header WAV: [left, right] per frame index. */
function channels(bytes: Buffer): { left: Int16Array; right: Int16Array } {
  const data = new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
  const left = new Int16Array(data.length / 2);
  const right = new Int16Array(data.length / 2);
  for (let i = 0; i < left.length; i++) {
    left[i] = data[2 * i]!;
    right[i] = data[2 * i + 1]!;
  }
  return { left, right };
}

describe('CallRecorder', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartcall-rec-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes remote left and local right, one frame of each per tick, silence where nothing was', async () => {
    const path = join(dir, 'aligned.wav');
    const rec = await CallRecorder.open({ path });
    rec.writeFrame(frameOf(1), frameOf(-1), 5000);
    rec.writeFrame(null, frameOf(-2), 5020);
    rec.writeFrame(frameOf(3), null, 5040);
    rec.writeFrame(null, null, 5060);
    assert.equal(rec.startedAt, 5000);
    const info = await rec.close();
    assert.deepEqual(info, {
      path,
      startedAt: 5000,
      durationMs: 80,
      dataBytes: 4 * FRAME * 4,
      droppedFrames: 0,
    });

    const bytes = await readFile(path);
    assert.equal(bytes.toString('ascii', 0, 4), 'RIFF');
    assert.equal(bytes.readUInt32LE(4), bytes.length - 8);
    assert.deepEqual([bytes.readUInt16LE(22), bytes.readUInt32LE(24), bytes.readUInt16LE(34)], [2, 8000, 16]);
    assert.equal(bytes.readUInt32LE(40), 4 * FRAME * 4);
    const { left, right } = channels(bytes);
    const at = (x: Int16Array) => [0, 1, 2, 3].map((f) => [x[f * FRAME], x[f * FRAME + FRAME - 1]]);
    assert.deepEqual(at(left), [
      [1, 1],
      [0, 0],
      [3, 3],
      [0, 0],
    ]);
    assert.deepEqual(at(right), [
      [-1, -1],
      [-2, -2],
      [0, 0],
      [0, 0],
    ]);
    const wav = readWav(bytes);
    assert.deepEqual([wav.channels, wav.sampleRate, wav.durationMs], [2, 8000, 80]);
  });

  test('writes in whole buffers (not per frame) and keeps the header patched as it goes', async () => {
    const path = join(dir, 'buffered.wav');
    const rec = await CallRecorder.open({ path, bufferBytes: 6400, flushOffsetFrames: 0 }); // 10 frames
    for (let i = 0; i < 9; i++) rec.writeFrame(frameOf(i), frameOf(i), i * 20);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal((await stat(path)).size, 44, 'nothing written before a buffer fills');
    for (let i = 9; i < 25; i++) rec.writeFrame(frameOf(i), frameOf(i), i * 20);
    for (let i = 0; i < 100 && (await stat(path)).size < 44 + 12800; i++)
      await new Promise((r) => setTimeout(r, 5));
    const mid = await readFile(path);
    assert.equal(mid.length, 44 + 12800);
    assert.equal(mid.readUInt32LE(40), 12800, 'header follows the data written so far');
    const info = await rec.close();
    assert.equal(info.dataBytes, 25 * 640);
    assert.equal((await stat(path)).size, 44 + 25 * 640);
  });

  test('leaves a readable file when the process dies mid-recording', async () => {
    const path = join(dir, 'killed.wav');
    const module = resolve('dist/src/media/callRecorder.js');
    const script = `
      const { CallRecorder } = await import(${JSON.stringify(module)});
      const rec = await CallRecorder.open({ path: ${JSON.stringify(path)}, bufferBytes: 6400, flushOffsetFrames: 0 });
      const frame = new Int16Array(160).fill(1234);
      for (let i = 0; i < 35; i++) rec.writeFrame(frame, frame, i * 20);
      await new Promise((r) => setTimeout(r, 200));
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
    assert.equal(child.signal, 'SIGKILL', child.stderr.toString());
    const bytes = await readFile(path);
    const wav = readWav(bytes);
    assert.equal(wav.channels, 2);
    assert.equal(
      wav.samples.length,
      30 * FRAME,
      'the three flushed buffers survive; the unflushed tail is lost',
    );
    assert.ok(wav.samples.every((v) => v === 1234));
    if (existsSync('/usr/bin/soxi')) {
      assert.equal(execFileSync('/usr/bin/soxi', ['-s', path]).toString().trim(), String(30 * FRAME));
    }
  });

  test('staggers the first write of recorders started together, so a burst of calls does not hit the disk in one tick', async () => {
    const sizes: number[] = [];
    for (let r = 0; r < 3; r++) {
      const path = join(dir, `stagger-${r}.wav`);
      const rec = await CallRecorder.open({ path, bufferBytes: 6400, flushOffsetFrames: r * 3 });
      for (let i = 0; i < 8; i++) rec.writeFrame(frameOf(1), null, i * 20);
      await new Promise((resolve) => setTimeout(resolve, 30));
      sizes.push((await stat(path)).size - 44);
      await rec.close();
    }
    assert.deepEqual(sizes, [0, 7 * 640, 4 * 640]);
  });

  test('fails to open in a folder that does not exist, with the file system error', async () => {
    await assert.rejects(CallRecorder.open({ path: join(dir, 'missing', 'x.wav') }), /ENOENT/);
  });

  test('drops frames and counts them when the disk falls too far behind, instead of growing memory', async () => {
    const path = join(dir, 'slow.wav');
    const rec = await CallRecorder.open({
      path,
      bufferBytes: 640,
      maxPendingBuffers: 2,
      flushOffsetFrames: 0,
    });
    // All written synchronously: the first write is in flight, two more wait, the rest are dropped.
    for (let i = 0; i < 10; i++) rec.writeFrame(frameOf(i), null, i * 20);
    assert.ok(rec.droppedFrames > 0);
    const info = await rec.close();
    assert.equal(info.droppedFrames, rec.droppedFrames);
    assert.equal(info.dataBytes + info.droppedFrames * 640, 10 * 640);
  });
});
