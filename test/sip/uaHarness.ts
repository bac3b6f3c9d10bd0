import assert from 'node:assert/strict';
import { silentLogger } from '../../src/observability/logger.js';
import { buildOffer } from '../../src/sip/sdp.js';
import { SipUserAgent, type SipUserAgentOptions } from '../../src/sip/sipUserAgent.js';

/** Small timers so that transactions drain in well under a second on loopback. */
export const FAST_TIMERS = { t1: 10, t2: 40, t4: 20 };

export async function createUa(options: SipUserAgentOptions = {}): Promise<SipUserAgent> {
  return SipUserAgent.create({
    address: '127.0.0.1',
    timers: FAST_TIMERS,
    logger: silentLogger(),
    ...options,
  });
}

export function offer(port = 40000): string {
  return buildOffer({ ip: '127.0.0.1', port, sessionId: '1' });
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Asserts that a user agent holds no call, dialog, transaction or timer (after they drain). */
export async function assertIdle(ua: SipUserAgent, timeoutMs = 3000): Promise<void> {
  await waitFor(
    'the user agent to drain',
    () => {
      const s = ua.stats();
      return (
        s.calls === 0 &&
        s.dialogs === 0 &&
        s.transactions.client === 0 &&
        s.transactions.server === 0 &&
        s.timers === 0
      );
    },
    timeoutMs,
  ).catch(() => {
    assert.deepEqual(
      { ...ua.stats(), transport: undefined, tcpConnections: undefined, refusedInvites: undefined },
      {
        calls: 0,
        dialogs: 0,
        transactions: { client: 0, server: 0 },
        timers: 0,
        transport: undefined,
        tcpConnections: undefined,
        refusedInvites: undefined,
      },
    );
  });
}

export function sipTarget(ua: SipUserAgent, user = 'callee', protocol: 'udp' | 'tcp' = 'udp'): string {
  const local = ua.localEndpoint(protocol)!;
  return `sip:${user}@${local.address}:${local.port}${protocol === 'tcp' ? ';transport=tcp' : ''}`;
}
