/**
 * A call's terminal event does not depend on its media closing cleanly: when `media.close()`
 * rejects, an outbound call still says `failed` / `ended` and an inbound call still says `ended`
 * (the session would otherwise never learn the call is over).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { buildOffer, describeSdp } from '../../src/sip/sdp.js';
import { InboundCall } from '../../src/telephony/inboundCall.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import type { Telephony } from '../../src/telephony/telephony.js';

class BrokenMedia extends EventEmitter {
  readonly localAddress = '127.0.0.1';
  readonly localPort = 40000;
  sending = false;
  closes = 0;
  start(): void {
    this.sending = true;
  }
  update(): void {}
  async close(): Promise<never> {
    this.closes++;
    throw new Error('socket already closed');
  }
}

class FakeSip extends EventEmitter {
  state = 'calling';
  hangup(): void {}
}

type OutboundCtor = new (media: unknown, sip: unknown) => OutboundCall;
const tick = () => new Promise((r) => setImmediate(r));

test('an outbound call whose media fails to close still ends', async () => {
  const media = new BrokenMedia();
  const sip = new FakeSip();
  const call = new (OutboundCall as unknown as OutboundCtor)(media, sip);
  const events: string[] = [];
  call.on('ending', (by) => events.push(`ending:${by}`));
  call.on('ended', (by, reason) => events.push(`ended:${by}:${reason}`));
  sip.emit('ended', 'remote', 'BYE');
  await tick();
  await tick();
  assert.deepEqual(events, ['ending:remote', 'ended:remote:BYE']);
  assert.equal(media.closes, 1);
  assert.match(String(call.closeError), /socket already closed/);
});

test('an outbound call whose media fails to close still fails', async () => {
  const media = new BrokenMedia();
  const sip = new FakeSip();
  const call = new (OutboundCall as unknown as OutboundCtor)(media, sip);
  const failed: unknown[] = [];
  call.on('failed', (cause) => failed.push(cause));
  sip.emit('failed', { code: 'rejected', status: 486, reason: 'Busy Here' });
  await tick();
  await tick();
  assert.equal(failed.length, 1);
});

test('an inbound call whose media fails to close still ends', async () => {
  const media = new BrokenMedia();
  const offer = buildOffer({ ip: '127.0.0.1', port: 41000 });
  const described = describeSdp(offer);
  assert.ok(described.ok);
  const sip = Object.assign(new FakeSip(), {
    offer,
    offerMedia: described.value,
    progress() {},
    answer() {},
    reject() {},
  });
  const telephony = {
    openMedia: async () => media,
    mediaAddressToward: async () => '127.0.0.1',
  } as unknown as Telephony;
  const call = new InboundCall(telephony, sip as never);
  await call.answer();
  const ended: string[] = [];
  call.on('ended', (by) => ended.push(by));
  sip.emit('ended', 'remote', 'BYE');
  await tick();
  await tick();
  assert.deepEqual(ended, ['remote']);
  assert.equal(media.closes, 1);
});
