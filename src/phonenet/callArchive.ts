/**
 * Where persona calls leave their timelines and recordings:
 * `<dir>/<YYYY-MM-DD>/<call>.jsonl` and `<call>.wav` (UTC date, the call's SIP Call-ID made safe for
 * a file name). Only the newest `keep` calls are kept, so a long-running demo does not fill the
 * disk. The CLI reads the same layout from another process, so listing and reading work on the
 * files alone.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../clock/clock.js';
import type { TimelineEvent } from './callTimeline.js';

export interface ArchivedCall {
  callId: string;
  /** Timeline file (JSON lines). */
  timeline: string;
  /** Recording (two-channel WAV: left = what the persona heard), when there is one. */
  recording: string | undefined;
  /** File time, ms. */
  mtimeMs: number;
}

export interface CallPaths {
  timeline: string;
  recording: string;
}

export function safeCallId(callId: string): string {
  return callId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'call';
}

const DATE_DIR = /^\d{4}-\d{2}-\d{2}$/;

export class CallArchive {
  readonly dir: string;
  readonly #keep: number;
  /** Oldest first; `open` while the call still writes its files. */
  #calls: { base: string; day: string; open: boolean }[];

  constructor(dir: string, keep: number) {
    this.dir = dir;
    this.#keep = Math.max(1, keep);
    mkdirSync(dir, { recursive: true });
    this.#calls = listArchive(dir).map((c) => ({
      base: c.timeline.slice(0, -'.jsonl'.length),
      day: c.timeline.split('/').at(-2)!,
      open: false,
    }));
  }

  /** Paths for a new call (never an existing file's). */
  allocate(callId: string, when = new Date(systemClock.now())): CallPaths {
    const day = when.toISOString().slice(0, 10);
    const dayDir = join(this.dir, day);
    mkdirSync(dayDir, { recursive: true });
    const safe = safeCallId(callId);
    let base = join(dayDir, safe);
    for (let n = 2; existsSync(`${base}.jsonl`); n++) base = join(dayDir, `${safe}-${n}`);
    this.#calls.push({ base, day, open: true });
    return { timeline: `${base}.jsonl`, recording: `${base}.wav` };
  }

  /** The call's files are closed: it may now be pruned, and older calls beyond `keep` are. */
  finished(paths: CallPaths): void {
    const entry = this.#calls.find((c) => `${c.base}.jsonl` === paths.timeline);
    if (entry) entry.open = false;
    this.#prune();
  }

  #prune(): void {
    let excess = this.#calls.length - this.#keep;
    for (let i = 0; excess > 0 && i < this.#calls.length; ) {
      const old = this.#calls[i]!;
      if (old.open) {
        i++; // still being written: it goes once finished
        continue;
      }
      this.#calls.splice(i, 1);
      excess--;
      rmSync(`${old.base}.jsonl`, { force: true });
      rmSync(`${old.base}.wav`, { force: true });
      const dayDir = join(this.dir, old.day);
      try {
        if (readdirSync(dayDir).length === 0) rmSync(dayDir, { recursive: true, force: true });
      } catch {
        // already gone
      }
    }
  }
}

/** Every archived call under `dir`, oldest first. */
export function listArchive(dir: string): ArchivedCall[] {
  if (!existsSync(dir)) return [];
  const out: ArchivedCall[] = [];
  for (const day of readdirSync(dir).filter((d) => DATE_DIR.test(d))) {
    const dayDir = join(dir, day);
    for (const name of readdirSync(dayDir)) {
      if (!name.endsWith('.jsonl')) continue;
      const timeline = join(dayDir, name);
      const wav = timeline.slice(0, -'.jsonl'.length) + '.wav';
      const first = readTimelineFile(timeline)[0];
      out.push({
        callId: typeof first?.callId === 'string' ? first.callId : name.slice(0, -'.jsonl'.length),
        timeline,
        recording: existsSync(wav) ? wav : undefined,
        mtimeMs: statSync(timeline).mtimeMs,
      });
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.timeline.localeCompare(b.timeline));
}

/** The events of a timeline file (a torn last line, from a crash, is skipped). */
export function readTimelineFile(path: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as TimelineEvent);
    } catch {
      // a line cut short by a crash
    }
  }
  return events;
}

/** The archived call whose SIP Call-ID (or file name) is `callId`. */
export function findArchivedCall(dir: string, callId: string): ArchivedCall | undefined {
  const calls = listArchive(dir);
  return (
    calls.findLast((c) => c.callId === callId) ??
    calls.findLast((c) => c.timeline.endsWith(`/${safeCallId(callId)}.jsonl`))
  );
}
