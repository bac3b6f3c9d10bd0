/**
 * The phrase decoder threads give way to the main thread (issue 13 item 2): on Linux (the platform
 * smartcall and its tests run on; the nice value is read from /proc) they run at
 * the pool's nice value, while the main thread, which carries the calls' media and signalling,
 * keeps the process's.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PhraseDecoderPool } from '../../src/speech/phrase/phraseDecoderPool.js';
import { parseSpeechConfig } from '../../src/speech/speechConfig.js';
import { SpeechEngines } from '../../src/speech/speechEngines.js';

/** Nice value of each thread of this process, by thread id (field 19 of /proc/…/stat). */
function threadNiceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

test('decoder threads run at the configured nice value; the main thread does not', async () => {
  const before = threadNiceness();
  const main = before.get(process.pid);
  assert.notEqual(main, undefined);
  const pool = new PhraseDecoderPool({ workers: 2, niceness: 7 });
  try {
    await pool.ready();
    const after = threadNiceness();
    const niced = [...after].filter(([tid, n]) => !before.has(tid) && n === 7);
    assert.equal(niced.length, 2, `two decoder threads at nice 7: ${JSON.stringify([...after])}`);
    assert.equal(after.get(process.pid), main, 'the main thread keeps its priority');
  } finally {
    await pool.close();
  }
  const plain = new PhraseDecoderPool({ workers: 1, niceness: 0 });
  try {
    await plain.ready();
    const after = threadNiceness();
    assert.ok(
      ![...after].some(([tid, n]) => !before.has(tid) && n !== main),
      'niceness 0 leaves the decoder thread as the process',
    );
  } finally {
    await plain.close();
  }
});

test('speech.asr.embedded.niceness reaches the decoder threads of a running platform', async () => {
  const before = threadNiceness();
  const engines = await SpeechEngines.start({
    config: parseSpeechConfig({ asr: { embedded: { workers: 1, niceness: 4 } } }),
    withoutTts: true,
    asrModels: { find: () => undefined },
  });
  try {
    const deadline = Date.now() + 10_000;
    let niced: number[] = [];
    while (Date.now() < deadline) {
      niced = [...threadNiceness()].filter(([tid, n]) => !before.has(tid) && n === 4).map(([tid]) => tid);
      if (niced.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(niced.length, 1, 'one decoder thread at nice 4');
  } finally {
    await engines.close();
  }
});
