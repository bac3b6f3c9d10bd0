import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TrunkRecord } from '../../../src/store/records.js';
import { type StoreFactory, withStore } from './storeFactory.js';

export const aTrunk = (name: string, extra: Partial<TrunkRecord> = {}): TrunkRecord => ({
  name,
  host: '127.0.0.1',
  port: 5070,
  transport: 'udp',
  uri: null,
  username: null,
  passwordEnc: null,
  realm: null,
  callerFormat: 'national',
  calleeFormat: 'e164',
  sendPai: false,
  cps: 10,
  maxCalls: 100,
  optionsIntervalS: 0,
  inboundFrom: [],
  register: false,
  registerExpiresS: 3600,
  codecs: ['PCMU', 'PCMA'],
  srtp: 'off',
  tlsCaFile: null,
  tlsCertFile: null,
  tlsKeyFile: null,
  isDefault: false,
  createdAt: 7,
  ...extra,
});

export function trunkContract(f: StoreFactory): void {
  describe(`${f.name}: trunks`, () => {
    test('a trunk keeps every field, is replaced by name, and one default at most', () =>
      withStore(f, async (s) => {
        const full = aTrunk('carrier', {
          transport: 'tls',
          uri: 'sip:carrier.test;transport=tls',
          username: 'u',
          passwordEnc: 'sealed',
          realm: 'r',
          sendPai: true,
          inboundFrom: ['10.0.0.0/8', '192.0.2.1/32'],
          register: true,
          registerExpiresS: 600,
          codecs: ['G722', 'PCMA'],
          srtp: 'required',
          tlsCaFile: '/ca.pem',
          tlsCertFile: '/c.pem',
          tlsKeyFile: '/k.pem',
          isDefault: true,
        });
        await s.trunks.upsert(full);
        assert.deepEqual(await s.trunks.find('carrier'), full);
        await s.trunks.upsert(aTrunk('backup', { isDefault: true }));
        assert.equal((await s.trunks.findDefault())!.name, 'backup');
        assert.equal((await s.trunks.find('carrier'))!.isDefault, false, 'the old default was cleared');
        await s.trunks.upsert({ ...full, cps: 30, isDefault: false });
        assert.equal((await s.trunks.find('carrier'))!.cps, 30);
        assert.deepEqual(
          (await s.trunks.list()).map((t) => t.name),
          ['backup', 'carrier'],
        );
        assert.equal(await s.trunks.remove('backup'), true);
        assert.equal(await s.trunks.remove('backup'), false);
        assert.equal(await s.trunks.findDefault(), undefined);
      }));

    test("a trunk's registration is saved and read; an unknown trunk has none", () =>
      withStore(f, async (s) => {
        await s.trunks.upsert(aTrunk('carrier'));
        assert.equal(await s.trunks.registration('carrier'), undefined);
        const reg = {
          state: 'registered' as const,
          expiresS: 300,
          lastError: null,
          nextAttemptAt: 123_456,
          contactUser: 'sc-abc',
          updatedAt: 99,
        };
        await s.trunks.saveRegistration('carrier', reg);
        await s.trunks.saveRegistration('nobody', reg);
        assert.deepEqual(await s.trunks.registration('carrier'), reg);
        assert.equal(await s.trunks.registration('nobody'), undefined);
      }));
  });
}
