/**
 * `npm run bench:campaign`: a 100,000-number campaign through the policy gate, the campaign runner
 * and the dialer, on a ManualClock (a placed call "lasts" 20 s of it) with an in-memory store.
 * Measures the gate alone (decisions per second over the 100,000 numbers, with a window, caps and a
 * caller-ID pool) and checks the trunk's CPS limit over every sliding second of the starts.
 * Last line: {"bench":"campaign","numbers":…,"gateDecisionsPerSec":…,"cpsLimit":…,"maxStartsPerSecondWindow":…}
 */

import { CallIdGenerator } from '../src/calls/callId.js';
import { createCampaign } from '../src/calls/campaigns/campaignCreation.js';
import { CampaignRunner } from '../src/calls/campaigns/campaignRunner.js';
import { type CampaignSettings, campaignPolicy } from '../src/calls/campaigns/campaignSettings.js';
import { Dialer } from '../src/calls/dialer.js';
import { PolicyGate } from '../src/calls/policy/policyGate.js';
import { ManualClock } from '../src/clock/manualClock.js';
import type { SmartCallRequest } from '../src/contract/smartCallRequest.js';
import { silentLogger } from '../src/observability/logger.js';
import type { TrunkRecord } from '../src/store/records.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';

const NUMBERS = Number(process.env.BENCH_CAMPAIGN_NUMBERS ?? 100_000);
const CPS = 200;
const CALL_MS = 20_000;

const clock = new ManualClock({ start: Date.parse('2025-06-02T09:00:00+08:00') });
const store = SqliteStore.inMemory();
const account = store.accounts.create({ name: 'bench', now: clock.now() }).id;
store.numbers.add({ number: '057100000001', accountId: account, createdAt: clock.now() });
store.numbers.add({ number: '057100000002', accountId: account, createdAt: clock.now() });
store.policies.set(
  account,
  JSON.stringify({ window: '08:00-21:00', caps: { perDay: 3, minGap: '30m' } }),
  clock.now(),
);
const log = silentLogger();
const settings: CampaignSettings = {
  voiceCode: '$name$',
  showNumbers: ['057100000001', '057100000002'],
  policy: { window: 'mon-fri 09:00-20:00', retry: 'busy:1x30m' },
};
const numbers = Array.from({ length: NUMBERS }, (_, i) => `139${String(i).padStart(8, '0')}`);

let gateDecisionsPerSec = 0;
// 1. The gate alone, over every number once (fresh histories, as a campaign's first round).
{
  const gate = new PolicyGate({ store, clock, log });
  gate.start();
  const policy = campaignPolicy(settings);
  for (let i = 0; i < 2000; i++)
    gate.decide({ accountId: account, callee: `137${i}`, kind: 'campaign', campaign: policy });
  const t0 = performance.now();
  for (const callee of numbers)
    gate.decide({ accountId: account, callee, kind: 'campaign', campaign: policy, campaignKey: 'bench' });
  gateDecisionsPerSec = Math.round(NUMBERS / ((performance.now() - t0) / 1000));
}

// 2. The whole campaign: runner → gate → queued call → dialer (CPS, concurrency) → a 20 s call.
const gate = new PolicyGate({ store, clock, log });
gate.start();
const trunk: TrunkRecord = {
  name: 'bench',
  host: '127.0.0.1',
  port: 5060,
  transport: 'udp',
  username: null,
  passwordEnc: null,
  realm: null,
  callerFormat: 'national',
  calleeFormat: 'national',
  sendPai: false,
  cps: CPS,
  maxCalls: 10_000,
  optionsIntervalS: 0,
  codecs: ['PCMA'],
  isDefault: true,
  createdAt: clock.now(),
};
const starts: number[] = [];
let runner: CampaignRunner;
const dialer = new Dialer({
  store,
  ledger: {
    note: (callId, patch) => void store.calls.update(callId, patch),
    finish: (callId, patch) => void store.calls.update(callId, patch),
  },
  placer: {
    place: (call) =>
      new Promise<void>((resolve) => {
        starts.push(clock.now());
        clock.setTimer(() => {
          store.calls.update(call.callId, {
            state: 'ended',
            endAt: Math.round(clock.now()),
            statusCode: '200000',
            smartStatusCode: 'ANSWERED',
          });
          resolve();
        }, CALL_MS);
      }),
  },
  trunkFor: () => trunk,
  time: clock,
  log,
  onSettled: (callId) => runner.callEnded(callId),
});
runner = new CampaignRunner({
  store,
  gate,
  callIds: new CallIdGenerator(1),
  buildRequest: (_accountId, p) =>
    ({
      calledNumber: p.CalledNumber,
      calledShowNumber: p.CalledShowNumber,
      voiceCode: p.VoiceCode,
    }) as unknown as SmartCallRequest,
  enqueue: (callId) => dialer.enqueue(callId),
  timers: clock,
  log,
  maxOutstanding: 2 * CPS * (CALL_MS / 1000),
});
const t0 = performance.now();
const { id } = createCampaign(store, {
  accountId: account,
  name: 'bench',
  settings,
  rows: numbers.map((number, i) => ({
    line: i + 2,
    number,
    outId: null,
    params: { name: i % 2 ? 'a' : 'b' },
  })),
  now: clock.now(),
  outIdMaxBytes: 15,
});
const createdMs = performance.now() - t0;
dialer.start();
runner.start();
while (store.campaigns.find(id)!.state !== 'done') await clock.advanceAsync(1000, 5);
runner.stop();
await dialer.stop();
const wallS = (performance.now() - t0) / 1000;

starts.sort((a, b) => a - b);
let maxStartsPerSecondWindow = 0;
for (let i = 0, j = 0; i < starts.length; i++) {
  while (starts[i]! - starts[j]! >= 1000) j++;
  maxStartsPerSecondWindow = Math.max(maxStartsPerSecondWindow, i - j + 1);
}
const counts = store.campaigns.countRows(id);
const simulatedS = (starts[starts.length - 1]! - starts[0]!) / 1000;
console.log(
  `campaign of ${NUMBERS}: created in ${Math.round(createdMs)} ms; ${starts.length} calls over ${simulatedS.toFixed(1)} simulated s ` +
    `(${(starts.length / simulatedS).toFixed(1)}/s at a limit of ${CPS}); whole run ${wallS.toFixed(1)} s wall; rows ${JSON.stringify(counts)}`,
);
console.log(
  JSON.stringify({
    bench: 'campaign',
    numbers: NUMBERS,
    gateDecisionsPerSec,
    cpsLimit: CPS,
    maxStartsPerSecondWindow,
  }),
);
store.close();
