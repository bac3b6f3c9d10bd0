/** The default allowed destinations are mainland China numbers; an account's own list replaces them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileDestinations,
  DestinationPatternError,
  destinationFilter,
} from '../../src/tenancy/destinations.js';

test('by default mainland mobiles and landlines pass, with or without +86 / 0086', () => {
  const allowed = destinationFilter(null);
  for (const n of [
    '13900000028',
    '+8613900000028',
    '008613900000028',
    '057188880000',
    '01012345678',
    '+8657188880000',
  ])
    assert.equal(allowed(n), true, n);
});

test('by default foreign, international-prefix and short premium numbers are refused', () => {
  const allowed = destinationFilter(undefined);
  for (const n of [
    '00442079460000',
    '+442079460000',
    '0044207946',
    '001900555',
    '12345',
    '95588',
    '10086',
    '',
    '139000000281',
  ])
    assert.equal(allowed(n), false, n);
});

test("an account's patterns match the whole number, anchored or not", () => {
  const allowed = destinationFilter(['0044\\d+', '^95588$']);
  assert.equal(allowed('00442079460000'), true);
  assert.equal(allowed('95588'), true);
  assert.equal(allowed('x00442079460000'), false, 'anchored at the start');
  assert.equal(allowed('13900000028'), false, 'the list replaces the default');
  assert.throws(() => compileDestinations(['(']), DestinationPatternError);
});
