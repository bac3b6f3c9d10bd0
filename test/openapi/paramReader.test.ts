import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayError } from '../../src/openapi/apiErrors.js';
import { ParamReader } from '../../src/openapi/paramReader.js';

const reader = (o: Record<string, string>) => new ParamReader(new Map(Object.entries(o)));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as GatewayError).code;
  }
  return 'none';
}

test('required parameters are reported in the order given, empty counts as missing', () => {
  assert.equal(
    code(() => reader({ B: 'x' }).requireAll(['A', 'B'])),
    'MissingA',
  );
  assert.equal(
    code(() => reader({ A: '' }).requireAll(['A'])),
    'MissingA',
  );
});

test('int32 accepts signed decimals in range and refuses the rest', () => {
  assert.equal(reader({ V: '-4' }).int32('V'), -4);
  assert.equal(reader({ V: '+12' }).int32('V'), 12);
  for (const bad of ['1.5', 'abc', '2147483648', '0x10', '1e3']) {
    assert.equal(
      code(() => reader({ V: bad }).int32('V')),
      'InvalidParameter',
      bad,
    );
  }
});

test('booleans are true or false in any case', () => {
  assert.equal(reader({ B: 'TRUE' }).boolean('B'), true);
  assert.equal(reader({ B: 'false' }).boolean('B'), false);
  assert.equal(
    code(() => reader({ B: 'yes' }).boolean('B')),
    'InvalidParameter',
  );
  assert.equal(reader({}).boolean('B'), undefined);
});

test('doubles and int64 are read as numbers', () => {
  assert.equal(reader({ N: '0.6' }).double('N'), 0.6);
  assert.equal(reader({ Q: '1714528800000' }).int64('Q'), 1714528800000);
  assert.equal(
    code(() => reader({ N: 'NaN' }).double('N')),
    'InvalidParameter',
  );
});
