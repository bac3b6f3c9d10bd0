import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { RecordingSweeper } from '../../src/media-library/recordingSweeper.js';
import { silentLogger } from '../../src/observability/logger.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function recordings(days: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'smartcall-sweeper-'));
  dirs.push(dir);
  for (const d of days) {
    mkdirSync(join(dir, d));
    writeFileSync(join(dir, d, 'call.wav'), 'x');
  }
  return dir;
}

describe('recording retention', () => {
  test('day folders older than the retention go; recent ones and other files stay', async () => {
    const dir = recordings(['2026-11-01', '2026-11-28', '2026-11-29', '2026-12-05', 'notes']);
    const clock = new ManualClock({ start: Date.parse('2026-12-06T12:00:00Z') });
    const sweeper = new RecordingSweeper({ dir, retentionDays: 7, time: clock, log: silentLogger() });
    assert.deepEqual(await sweeper.sweep(), ['2026-11-01', '2026-11-28']);
    assert.deepEqual(readdirSync(dir).sort(), ['2026-11-29', '2026-12-05', 'notes']);
  });

  test('a stop during the first sweep leaves no timer to hold the process open', async () => {
    const dir = recordings(['2026-11-01']);
    const clock = new ManualClock({ start: Date.parse('2026-12-06T12:00:00Z') });
    const sweeper = new RecordingSweeper({ dir, retentionDays: 7, time: clock, log: silentLogger() });
    sweeper.start();
    await sweeper.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(clock.pendingTimers, 0);
  });

  test('it sweeps again every hour until stopped', async () => {
    const dir = recordings([]);
    const clock = new ManualClock({ start: Date.parse('2026-12-06T12:00:00Z') });
    const sweeper = new RecordingSweeper({ dir, retentionDays: 7, time: clock, log: silentLogger() });
    sweeper.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(clock.pendingTimers, 1);
    mkdirSync(join(dir, '2026-11-01'));
    clock.advance(3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(readdirSync(dir), []);
    await sweeper.stop();
    assert.equal(clock.pendingTimers, 0);
  });
});
