/** Number patterns and routing: exact, `*` per digit, regex; first match wins; prefixes stripped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackAddress, sourceFilter } from '../../src/net/sourceFilter.js';
import { calledNumberForms, NumberPattern } from '../../src/phonenet/numberPattern.js';
import { PersonaDirectory } from '../../src/phonenet/personaDirectory.js';
import { parsePersonaText } from '../../src/phonenet/personaFile.js';

test('a number pattern is exact, a * per digit, or a regex between slashes', () => {
  assert.ok(NumberPattern.parse('13800000001').matches('13800000001'));
  assert.ok(!NumberPattern.parse('13800000001').matches('138000000011'));
  const wild = NumberPattern.parse('1380000****');
  assert.ok(wild.matches('13800001234'));
  assert.ok(!wild.matches('1380000123'), 'each * is exactly one digit');
  assert.ok(!wild.matches('1380000123a'));
  const re = NumberPattern.parse('/^1(39|47)\\d{8}$/');
  assert.ok(re.matches('14712345678'));
  assert.ok(!re.matches('13812345678'));
  assert.throws(() => NumberPattern.parse('/(/'), /invalid regular expression/);
  assert.throws(() => NumberPattern.parse('13 8'), /not a phone number/);
});

test('called numbers with +86, 0086, 86 or 0 in front reach the 11-digit persona', () => {
  for (const n of ['+8613800000001', '008613800000001', '8613800000001', '013800000001'])
    assert.ok(calledNumberForms(n).includes('13800000001'), n);
  assert.deepEqual(calledNumberForms('057188880000'), ['057188880000']);
});

test('the first persona that matches a number takes the call; files come before the built-ins', () => {
  const file = parsePersonaText(
    `personas:
  - { name: vip, number: "13900000001", steps: [answer] }
  - { name: block, number: "1390000****", steps: [answer] }
  - { name: mine, number: "13800000003", steps: [answer] }
`,
    'p.yaml',
  );
  const builtins = parsePersonaText(
    'personas:\n  - { name: busy, number: "13800000003", steps: [{reject: 486}] }\n',
    'b.yaml',
  );
  const dir = PersonaDirectory.layered(file, builtins);
  assert.equal(dir.route('13900000001')?.name, 'vip');
  assert.equal(dir.route('13900000002')?.name, 'block');
  assert.equal(dir.route('13800000003')?.name, 'mine', 'a file overrides a built-in number');
  assert.equal(dir.route('+8613900000002')?.name, 'block');
  assert.equal(dir.route('13700000000'), undefined);
});

test('only 127.0.0.0/8 and ::1 count as loopback sources', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['192.0.2.2', '10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '1.127.0.0'])
    assert.ok(!isLoopbackAddress(a), a);
});

test('source ranges are CIDRs of either family, and a bad range is refused', () => {
  const lan = sourceFilter(['10.0.0.0/8', 'fd00::/8']);
  assert.ok(lan('10.1.2.3'));
  assert.ok(lan('::ffff:10.1.2.3'));
  assert.ok(lan('fd12::1'));
  assert.ok(!lan('127.0.0.1'));
  assert.ok(!lan('not an address'));
  assert.throws(() => sourceFilter(['10.0.0.0/40']), /not an address range/);
  assert.throws(() => sourceFilter(['example.com/8']), /not an address range/);
});
