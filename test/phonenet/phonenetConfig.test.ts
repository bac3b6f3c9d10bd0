/** The `phonenet` config section: defaults, and the settings it refuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortRange, phonenetConfigSchema } from '../../src/phonenet/phonenetConfig.js';

test('an empty phonenet section gives a loopback carrier on 5070 with the built-in personas only', () => {
  assert.deepEqual(phonenetConfigSchema.parse({}), {
    enabled: true,
    address: '127.0.0.1',
    sipPort: 5070,
    rtpPortMin: 40000,
    rtpPortMax: 40999,
    personasFiles: [],
    acceptNonLoopback: false,
    allowedSources: ['127.0.0.0/8', '::1/128'],
    keepCalls: 200,
  });
});

test('a host name, an inverted port range and unknown keys are refused', () => {
  assert.match(
    phonenetConfigSchema.safeParse({ address: 'localhost' }).error?.issues[0]?.message ?? '',
    /IP address/,
  );
  assert.ok(!phonenetConfigSchema.safeParse({ rtpPortMin: 5000, rtpPortMax: 4000 }).success);
  assert.ok(!phonenetConfigSchema.safeParse({ sipport: 5070 }).success);
  assert.ok(!phonenetConfigSchema.safeParse({ allowedSources: ['10.0.0.0/99'] }).success);
});

test('--rtp-ports takes a range a-b', () => {
  assert.deepEqual(parsePortRange('27000-27999'), { min: 27000, max: 27999 });
  assert.equal(parsePortRange('27999-27000'), undefined);
  assert.equal(parsePortRange('27000'), undefined);
  assert.equal(parsePortRange('0-10'), undefined);
});
