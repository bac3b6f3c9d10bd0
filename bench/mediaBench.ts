/**
 * `npm run bench:media`: concurrent answered calls, each carrying audio both ways, against
 * smartcall's own UAS (a second process, its media on every core too), with our media on ONE
 * worker thread and then on one per core (Telephony `mediaWorkers`), at rising call counts.
 * BENCH_SIPP=1 adds a series against sipp's RTP echo.
 *
 * In the same run it measures the machine's raw loopback UDP ceiling (a minimal Node sender and
 * receiver pair), because on this machine that ceiling, not our code, may bound the call count:
 * each call costs 100 packets per second at our end (50 sent, 50 received).
 *
 * Per call count: RTP send-interval deviation (|interval − 20 ms| per session, measured in the
 * worker threads as each packet leaves) p50/p99/max, packet loss (sequence gaps seen by our jitter
 * buffers), CPU per call (every thread of this process: the CPU smartcall itself used) and RSS per
 * call. The highest count held with p99 ≤ 5 ms and loss < 0.1% is reported for 1 worker
 * (`maxCallsOneWorker`) and for one per core (`maxCalls`, also as a fraction of ceiling ÷ 100). Also
 * the call set-up rate (INVITE → 200 → ACK → BYE per second, media sessions included). Last line:
 * one JSON object.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcmSource } from '../src/media/pcmSource.js';
import { silentLogger } from '../src/observability/logger.js';
import { OutboundCall } from '../src/telephony/outboundCall.js';
import { Telephony } from '../src/telephony/telephony.js';
import { blast } from './udpCeiling.js';

/** Media worker threads in the "every core" run (and the far end's). */
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
/** Media worker threads of the far end (BENCH_FAR_WORKERS; default 0: one thread, as a softswitch's own). */
const FAR_WORKERS = Number(process.env.BENCH_FAR_WORKERS ?? 0);
/** BENCH_BASELINE=1: first a series with every call's media on the main thread (no workers). */
const BASELINE = process.env.BENCH_BASELINE === '1';
/** BENCH_SIPP=1: also a series against sipp's RTP echo (sipp itself tops out near 300 calls here). */
const SIPP = process.env.BENCH_SIPP === '1';
const COUNTS = (process.env.BENCH_CALLS ?? '200,400,600,800,1000,1200,1500,2000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 8000);
const SETUP_CALLS = Number(process.env.BENCH_SETUP_CALLS ?? 1500);
const P99_LIMIT_MS = 5;
/** BENCH_RECORD=1: every call records a two-channel WAV (to measure the recorder's cost). */
const RECORD = process.env.BENCH_RECORD === '1';
const RECORD_DIR = RECORD ? mkdtempSync(join(tmpdir(), 'bench-rec-')) : '';
const LOSS_LIMIT = 0.001;

const AUDIO = new Int16Array(8000 * 120);
for (let i = 0; i < AUDIO.length; i++) AUDIO[i] = Math.round(5000 * Math.sin((2 * Math.PI * 450 * i) / 8000));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function child(
  args: string[],
  cwd?: string,
): Promise<{ proc: ChildProcess; first: Record<string, number>; lines: () => string[] }> {
  const proc = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], ...(cwd && { cwd }) });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  while (!out.includes('\n')) {
    if (proc.exitCode !== null) throw new Error(`${args.join(' ')} exited`);
    await sleep(10);
  }
  return { proc, first: JSON.parse(out.split('\n')[0]!), lines: () => out.trim().split('\n') };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  await exited;
}

async function packetCeiling(): Promise<number> {
  const receiver = await child([process.execPath, 'dist/bench/udpCeiling.js', 'receive']);
  const started = Date.now();
  await blast(receiver.first.port!, 3000);
  const seconds = (Date.now() - started) / 1000;
  await stop(receiver.proc);
  const received = JSON.parse(receiver.lines().at(-1)!).received as number;
  return Math.round(received / seconds);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface StepResult {
  calls: number;
  p50: number;
  p99: number;
  max: number;
  loss: number;
  cpuPerCallPct: number;
  rssPerCallKB: number;
  held: boolean;
}

/** Packets lost or late, and received, over all calls (worker sessions fetch fresh counters). */
async function lossCounts(calls: OutboundCall[]): Promise<{ lost: number; got: number }[]> {
  return Promise.all(
    calls.map(async (c) => {
      const stats = await c.media.refreshStats();
      return { lost: stats.jitter.lost + stats.jitter.late, got: stats.jitter.received };
    }),
  );
}

/** One step: `n` calls up at once, audio both ways, measured for MEASURE_MS. */
async function step(tel: Telephony, target: string, n: number, rssBase: number): Promise<StepResult> {
  const pool = tel.mediaWorkers;
  let measuring = false;
  const deviations = new Float64Array(pool ? 0 : Math.ceil(n * (MEASURE_MS / 20) * 1.1));
  let count = 0;
  const calls: OutboundCall[] = [];
  const lastSent: number[] = [];
  const setups: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    lastSent.push(0);
    const index = i;
    const call = await OutboundCall.place(tel, {
      target,
      setupTimeoutMs: 20_000,
      // In-thread media reports each packet here; worker threads measure in place (see below).
      ...(!pool && {
        media: {
          onPacketSent: (_ideal: number, sentAt: number) => {
            const prev = lastSent[index]!;
            lastSent[index] = sentAt;
            if (measuring && prev > 0 && count < deviations.length)
              deviations[count++] = Math.abs(sentAt - prev - 20);
          },
        },
      }),
    });
    calls.push(call);
    setups.push(
      new Promise((resolve, reject) => {
        call.once('answered', () => {
          call.media.play(new PcmSource(AUDIO));
          if (RECORD) void call.media.startRecording(join(RECORD_DIR, `${n}-${index}.wav`));
          resolve();
        });
        call.once('failed', (cause) =>
          reject(new Error(`call ${index} failed: ${cause.code} ${cause.status}`)),
        );
      }),
    );
    if (i % 20 === 19) await sleep(40); // ramp at ~500 calls/s rather than one burst
  }
  await Promise.all(setups);
  await sleep(1000);
  const lossBefore = await lossCounts(calls);
  await pool?.measureSendIntervals(true);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await sleep(MEASURE_MS);
  measuring = false;
  const elapsed = performance.now() - t0;
  // process.cpuUsage counts every thread of the process: the media workers are in it.
  const cpu = process.cpuUsage(cpu0);
  const measured = pool ? await pool.measureSendIntervals(false) : deviations.subarray(0, count);
  const rss = process.memoryUsage().rss;
  const lossAfter = await lossCounts(calls);
  let lost = 0;
  let got = 0;
  lossAfter.forEach((a, i) => {
    lost += a.lost - lossBefore[i]!.lost;
    got += a.got - lossBefore[i]!.got;
  });
  const ended = calls.map((c) => once(c, 'ended'));
  for (const c of calls) c.hangup();
  await Promise.all(ended);
  const sorted = measured.sort();
  const result: StepResult = {
    calls: n,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : 0,
    loss: got + lost > 0 ? lost / (got + lost) : 1,
    cpuPerCallPct: ((cpu.user + cpu.system) / 1000 / elapsed / n) * 100,
    rssPerCallKB: Math.max(0, (rss - rssBase) / 1024 / n),
    held: false,
  };
  result.held = result.p99 <= P99_LIMIT_MS && result.loss < LOSS_LIMIT;
  return result;
}

async function series(tel: Telephony, label: string, target: string): Promise<StepResult[]> {
  const results: StepResult[] = [];
  global.gc?.();
  await sleep(500);
  const rssBase = process.memoryUsage().rss;
  for (const n of COUNTS) {
    const r = await step(tel, target, n, rssBase);
    results.push(r);
    console.log(
      `${label.padEnd(12)} ${String(n).padStart(5)} calls: send deviation p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} ` +
        `max ${r.max.toFixed(1)} ms, loss ${(r.loss * 100).toFixed(3)}%, CPU ${r.cpuPerCallPct.toFixed(3)}%/call, ` +
        `RSS ${r.rssPerCallKB.toFixed(0)} KB/call ${r.held ? '' : ' ← over the limits'}`,
    );
    await sleep(500);
    if (!r.held) break;
  }
  return results;
}

async function setupRate(tel: Telephony, target: string): Promise<number> {
  const concurrency = 50;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < SETUP_CALLS) {
      next++;
      const call = await OutboundCall.place(tel, { target, setupTimeoutMs: 10_000 });
      const [outcome] = await Promise.race([
        once(call, 'answered').then(() => ['answered']),
        once(call, 'failed').then(() => ['failed']),
      ]);
      if (outcome !== 'answered') throw new Error('a set-up call failed');
      const ended = once(call, 'ended');
      call.hangup();
      await ended;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return SETUP_CALLS / ((performance.now() - started) / 1000);
}

function ourTelephony(mediaWorkers: number): Promise<Telephony> {
  return Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 20000,
    rtpPortMax: 27999,
    mediaWorkers,
    logger: silentLogger(),
  });
}

async function main(): Promise<void> {
  const ceiling = await packetCeiling();
  const ceilingCalls = ceiling / 100;
  console.log(
    `loopback UDP ceiling: ${ceiling} packets/s received by a minimal Node pair (= ${ceilingCalls.toFixed(0)} calls at 100 packets/s each)`,
  );
  // The far end: smartcall's own UAS in a second process (its media on FAR_WORKERS threads).
  const uas = await child([
    process.execPath,
    'dist/bench/mediaBenchUas.js',
    '40000-47999',
    String(FAR_WORKERS),
  ]);
  const uasTarget = `sip:bench@127.0.0.1:${uas.first.sipPort}`;
  let sipp: ChildProcess | undefined;
  const runs: { workers: number; steps: StepResult[] }[] = [];
  let setups = 0;
  try {
    for (const workers of BASELINE ? [0, 1, WORKERS] : [1, WORKERS]) {
      const tel = await ourTelephony(workers);
      try {
        if (workers === WORKERS) {
          setups = await setupRate(tel, uasTarget);
          console.log(
            `call set-up rate: ${setups.toFixed(0)} INVITE→200→ACK→BYE per second (${SETUP_CALLS} calls, 50 at a time, RTP sessions included)`,
          );
        }
        const label = workers === 0 ? 'main thread' : workers === 1 ? '1 worker' : `${workers} workers`;
        runs.push({ workers, steps: await series(tel, label, uasTarget) });
        if (SIPP && workers === WORKERS) {
          sipp = spawn(
            'sipp',
            [
              '-sf',
              'uas_echo.xml',
              '-i',
              '127.0.0.1',
              '-mi',
              '127.0.0.1',
              '-p',
              '39060',
              '-mp',
              '39100',
              '-cp',
              '39090',
              '-rtp_echo',
              '-nostdin',
            ],
            { cwd: join(process.cwd(), 'test/fixtures/sipp'), stdio: 'ignore' },
          );
          await sleep(500);
          await series(tel, 'sipp echo', 'sip:echo@127.0.0.1:39060');
        }
      } finally {
        await tel.close();
      }
    }
    const bestOf = (steps: StepResult[]) => [...steps].reverse().find((r) => r.held);
    const one = bestOf(runs.find((r) => r.workers === 1)!.steps);
    const main = BASELINE ? bestOf(runs.find((r) => r.workers === 0)!.steps) : undefined;
    const all = bestOf(runs.at(-1)!.steps);
    console.log(
      `held with p99 ≤ ${P99_LIMIT_MS} ms and loss < 0.1%: ${BASELINE ? `${main?.calls ?? 0} calls on the main thread, ` : ''}${one?.calls ?? 0} on 1 media worker, ` +
        `${all?.calls ?? 0} on ${WORKERS}; ceiling ÷ 100 = ${ceilingCalls.toFixed(0)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'media',
        packetCeilingPps: ceiling,
        workers: WORKERS,
        ...(BASELINE && {
          maxCallsMainThread: main?.calls ?? 0,
          cpuPerCallPctMainThread: Number((main?.cpuPerCallPct ?? 0).toFixed(4)),
        }),
        maxCallsOneWorker: one?.calls ?? 0,
        maxCalls: all?.calls ?? 0,
        ceilingFraction: Number(((all?.calls ?? 0) / ceilingCalls).toFixed(3)),
        p99DeviationMs: Number((all?.p99 ?? runs.at(-1)!.steps[0]?.p99 ?? 0).toFixed(2)),
        cpuPerCallPct: Number((all?.cpuPerCallPct ?? 0).toFixed(4)),
        rssPerCallKB: Math.round(all?.rssPerCallKB ?? 0),
        setupsPerSec: Math.round(setups),
      }),
    );
  } finally {
    await stop(uas.proc);
    if (RECORD) rmSync(RECORD_DIR, { recursive: true, force: true });
    if (sipp) await stop(sipp);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
