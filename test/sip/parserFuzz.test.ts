import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseDigestChallenge } from '../../src/sip/digestAuth.js';
import { createRawResponse } from '../../src/sip/messageFactory.js';
import { type ParseLimits, parseSipMessage } from '../../src/sip/messageParser.js';
import { serializeMessage } from '../../src/sip/messageSerializer.js';
import { validateRequest } from '../../src/sip/requestValidator.js';
import { describeSdp } from '../../src/sip/sdp.js';
import type { SipMessage } from '../../src/sip/sipMessage.js';
import { StreamFramer } from '../../src/sip/streamFramer.js';
import { loadSipFixtures } from './fixturePaths.js';

/**
 * Mutation fuzzing of the parser and everything that reads a parsed message, seeded from the
 * RFC 4475 torture messages and real captures. Deterministic (fixed seed). The properties: nothing
 * throws, limits hold (size, header count), whatever parses re-serializes to something that parses,
 * and memory does not grow with the number of messages.
 */

const ITERATIONS = 100_000;
const LIMITS: ParseLimits = { maxMessageBytes: 16_384, maxHeaders: 64 };
const CAPS = {
  methods: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'UPDATE', 'INFO'],
  extensions: ['timer'],
  accept: ['application/sdp'],
};

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [
  ':',
  ';',
  ',',
  '"',
  '<',
  '>',
  '\\',
  '=',
  '@',
  '[',
  ']',
  ' ',
  '\t',
  '\r',
  '\n',
  '\0',
  '%',
  '/',
  '?',
  '\u00ff',
].map((c) => Buffer.from(c, 'latin1'));

function mutate(seed: Buffer, rand: () => number): Buffer {
  const pick = (n: number) => Math.floor(rand() * n);
  let buf = Buffer.from(seed);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = buf.length === 0 ? 0 : pick(buf.length);
    switch (pick(10)) {
      case 0: {
        // bit flips
        if (buf.length > 0) buf[at] = buf[at]! ^ (1 << pick(8));
        break;
      }
      case 1:
        buf = buf.subarray(0, at); // truncation
        break;
      case 2:
        buf = Buffer.concat([buf.subarray(0, at), INTERESTING[pick(INTERESTING.length)]!, buf.subarray(at)]);
        break;
      case 3:
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + 1 + pick(8)))]); // deletion
        break;
      case 4: {
        // duplicate a header line
        const lines = buf.toString('latin1').split('\r\n');
        const i = 1 + pick(Math.max(1, lines.length - 1));
        if (lines[i]) lines.splice(i, 0, lines[i]!);
        buf = Buffer.from(lines.join('\r\n'), 'latin1');
        break;
      }
      case 5: {
        // a huge value: repeat a slice many times
        const piece = buf.subarray(at, Math.min(buf.length, at + 1 + pick(16)));
        const times = 10 + pick(2000);
        buf = Buffer.concat([
          buf.subarray(0, at),
          Buffer.alloc(piece.length * times, piece.length ? piece : Buffer.from('x')),
          buf.subarray(at),
        ]);
        break;
      }
      case 6: {
        // a huge number where digits are
        const text = buf.toString('latin1');
        const m = /\d+/.exec(text.slice(at));
        if (m)
          buf = Buffer.from(
            text.slice(0, at + m.index) + '9'.repeat(1 + pick(40)) + text.slice(at + m.index + m[0].length),
            'latin1',
          );
        break;
      }
      case 7: {
        // many extra headers
        const extra = Buffer.from('X-F: 1\r\n'.repeat(1 + pick(100)));
        const head = buf.indexOf('\r\n');
        if (head > 0) buf = Buffer.concat([buf.subarray(0, head + 2), extra, buf.subarray(head + 2)]);
        break;
      }
      case 8: {
        // swap two lines
        const lines = buf.toString('latin1').split('\r\n');
        const i = pick(lines.length);
        const j = pick(lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        buf = Buffer.from(lines.join('\r\n'), 'latin1');
        break;
      }
      default: {
        // replace a run with random bytes
        const n = 1 + pick(8);
        for (let k = 0; k < n && at + k < buf.length; k++) buf[at + k] = pick(256);
      }
    }
  }
  return buf;
}

/** Reads everything a layer above might read; any throw is a bug. */
function exercise(message: SipMessage): void {
  for (const v of message.vias) void [v.branch, v.received, v.rport, v.sentBy, v.toString()];
  void [message.from.tag, message.to.tag, message.from.toString(), message.callId, message.cseq];
  void [
    message.contacts(),
    message.routes(),
    message.recordRoutes(),
    message.maxForwards(),
    message.contentType(),
  ];
  void [message.sessionExpires(), message.minSE(), message.supported(), message.require(), message.allow()];
  for (const v of message.headers.getAll('www-authenticate')) parseDigestChallenge(v);
  for (const v of message.headers.getAll('proxy-authenticate')) parseDigestChallenge(v);
  if (message.kind === 'request') validateRequest(message, CAPS);
  if (message.body.length > 0 && message.body.length < 4096) describeSdp(message.bodyText());
}

test(`${ITERATIONS} mutated messages never crash the parser and stay within limits`, (t) => {
  const seeds = [
    ...loadSipFixtures('sip-torture').values(),
    ...loadSipFixtures('sip-torture/captures').values(),
  ];
  assert.ok(seeds.length > 50);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const rand = prng(0x5eed4475);
  let parsed = 0;
  let rejected = 0;
  let heapAfterWarmup = 0;
  const started = Date.now();
  for (let i = 0; i < ITERATIONS; i++) {
    if (i === 5_000) {
      gc();
      heapAfterWarmup = process.memoryUsage().heapUsed;
    }
    const input = mutate(seeds[i % seeds.length]!, rand);
    const outcome = parseSipMessage(input, LIMITS, i % 7 === 0);
    if (!outcome.ok) {
      rejected++;
      assert.ok(outcome.error.code.length > 0);
      const reply = outcome.error.reply;
      if (reply) serializeMessage(createRawResponse(reply.status, reply.reason, reply.headers));
      continue;
    }
    parsed++;
    const m = outcome.message;
    assert.ok(input.length <= LIMITS.maxMessageBytes);
    let lines = 0;
    for (const _ of m.headers.lines()) lines++;
    assert.ok(lines <= LIMITS.maxHeaders);
    exercise(m);
    const again = parseSipMessage(serializeMessage(m), { maxMessageBytes: 1 << 20, maxHeaders: 1024 });
    assert.ok(again.ok, `re-serialized message #${i} does not parse: ${again.ok ? '' : again.error.detail}`);
    if (i % 50 === 0) {
      // the same bytes through the TCP framer in random chunks
      const framer = new StreamFramer(LIMITS.maxMessageBytes);
      const wire = serializeMessage(m);
      for (let at = 0; at < wire.length; ) {
        const n = 1 + Math.floor(rand() * 200);
        framer.push(wire.subarray(at, at + n));
        at += n;
      }
    }
  }
  gc();
  const growth = process.memoryUsage().heapUsed - heapAfterWarmup;
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(
    `parsed ${parsed}, rejected ${rejected}, heap growth ${(growth / 1e6).toFixed(1)} MB, ${seconds} s`,
  );
  assert.equal(parsed + rejected, ITERATIONS);
  assert.ok(parsed > 1000 && rejected > 1000, `parsed ${parsed}, rejected ${rejected}`);
  assert.ok(growth < 16 * 1024 * 1024, `heap grew by ${(growth / 1e6).toFixed(1)} MB`);
  assert.ok(seconds < 30, `took ${seconds} s`);
});
