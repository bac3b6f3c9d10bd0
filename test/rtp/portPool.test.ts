import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PortPool, PortsExhaustedError } from '../../src/rtp/portPool.js';

describe('PortPool', () => {
  test('hands out even ports only, keeping the odd RTCP port above each reserved', () => {
    const pool = new PortPool({ min: 20001, max: 20011 });
    const ports = [pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()];
    assert.deepEqual(ports, [20002, 20004, 20006, 20008, 20010]);
    assert.equal(pool.size, 5);
    assert.equal(pool.available, 0);
  });

  test('reports exhaustion clearly, naming the range and the count in use', () => {
    const pool = new PortPool({ min: 20000, max: 20003 });
    pool.allocate();
    pool.allocate();
    assert.throws(
      () => pool.allocate(),
      (err: unknown) =>
        err instanceof PortsExhaustedError &&
        err.code === 'RTP_PORTS_EXHAUSTED' &&
        /20000-20003/.test(err.message) &&
        /2 pairs/.test(err.message),
    );
  });

  test('rotates through the range so a just-released port is handed out last', () => {
    const pool = new PortPool({ min: 20000, max: 20005 });
    const a = pool.allocate();
    pool.release(a);
    assert.equal(pool.allocate(), 20002);
    assert.equal(pool.allocate(), 20004);
    assert.equal(pool.allocate(), 20000);
    assert.equal(pool.inUse, 3);
  });

  test('release makes a port available again and refuses ports it never gave out', () => {
    const pool = new PortPool({ min: 20000, max: 20001 });
    const p = pool.allocate();
    assert.equal(pool.isAllocated(p), true);
    pool.release(p);
    assert.equal(pool.isAllocated(p), false);
    assert.throws(() => pool.release(p), /not allocated/);
    assert.throws(() => pool.release(20001), /not allocated/);
    assert.equal(pool.allocate(), 20000);
  });

  test('rejects ranges outside 1024-65535 or without room for one pair', () => {
    assert.throws(() => new PortPool({ min: 80, max: 100 }), RangeError);
    assert.throws(() => new PortPool({ min: 65530, max: 70000 }), RangeError);
    assert.throws(() => new PortPool({ min: 20001, max: 20002 }), RangeError);
  });
});
