/**
 * An API node on PostgreSQL (issue 15, `serve --role api`): a private PostgreSQL
 * (test/helpers/postgres.ts) and the real Alibaba client library. The tenant (account, AccessKey
 * sealed with the cluster's master key, display number, receipt URL) is written through PgStore's
 * async repositories, as an admin tool would. A SmartCall lands `queued` in PostgreSQL with the
 * request's fields, where a scheduler's PgCallQueue claims it; QueryCallDetailByCallId reads it back;
 * a forged signature gets SignatureDoesNotMatch; CancelCall ends the queued call with its
 * VoiceReport in the outbox, and the scheduler can no longer start it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type RunningApiNode, startApiNode } from '../../src/apiNode.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { PgCallQueue } from '../../src/store/postgres/callQueue.js';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { callAction } from '../helpers/aliClients.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tempDir.js';

const MASTER_KEY = 'api-node-test-master-key-0123456789';
const SECRET = 'ApiNodeSecret0123456789abcdefgh';
const SHOW = '05710000001';

let server: TestPostgres;
let node: RunningApiNode | undefined;
let admin: PgStore | undefined;
const dir = tempDir('smartcall-apinode-');
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await node?.close();
  await admin?.close();
  await server?.stop();
  dir.remove();
});

test('an API node on PostgreSQL accepts, shows and cancels a queued SmartCall through the real client', async () => {
  const url = await server.createDatabase('apinode');
  admin = await PgStore.open(url, { poolSize: 2 });
  const box = SecretBox.fromMasterKey(MASTER_KEY);
  const account = await admin.accounts.create({ name: 'tenant', now: Date.now() });
  await admin.accessKeys.insert({
    accessKeyId: 'LTAIapinodetest000000001',
    accountId: account.id,
    secretEnc: box.seal(SECRET),
    status: 'active',
    createdAt: Date.now(),
  });
  await admin.numbers.add({ number: SHOW, accountId: account.id, createdAt: Date.now() });
  await admin.accounts.setReceipts(account.id, {
    url: 'http://127.0.0.1:9/receipts',
    types: ['VoiceReport'],
  });

  const config = loadConfig(
    { dataDir: dir.path, httpPort: 0, role: 'api', storeUrl: url },
    { SMARTCALL_MASTER_KEY: MASTER_KEY },
  );
  node = await startApiNode(config, silentLogger());
  const creds = {
    endpoint: `127.0.0.1:${node.httpPort}`,
    accessKeyId: 'LTAIapinodetest000000001',
    accessKeySecret: SECRET,
  };

  const accepted = await callAction('v3', creds, 'SmartCall', {
    CalledShowNumber: SHOW,
    CalledNumber: '13800138000',
    VoiceCode: '$greeting$',
    VoiceCodeParam: '{"greeting":"您好"}',
    OutId: 'order-42',
    RecordFlag: 'true',
  });
  assert.equal(accepted.code, 'OK', JSON.stringify(accepted));
  const callId = String(accepted.body!.CallId);
  assert.match(callId, /^\d+\^\d+$/);

  const stored = await admin.calls.find(callId);
  assert.ok(stored, 'the accepted call is in PostgreSQL');
  assert.equal(stored.state, 'queued');
  assert.equal(stored.accountId, account.id);
  assert.equal(stored.calledNumber, '13800138000');
  assert.equal(stored.calledShowNumber, SHOW);
  assert.equal(stored.outId, 'order-42');
  const request = JSON.parse(stored.request) as {
    voiceCode: string;
    recordFlag: boolean;
    voiceCodeParam: object;
  };
  assert.equal(request.voiceCode, '$greeting$');
  assert.equal(request.recordFlag, true);
  assert.deepEqual(request.voiceCodeParam, { greeting: '您好' });

  // A business error is answered as on the embedded path (the display number is not the tenant's).
  const notOwned = await callAction('v3', creds, 'SmartCall', {
    CalledShowNumber: '05719999999',
    CalledNumber: '13800138000',
    VoiceCode: '$a$',
    VoiceCodeParam: '{"a":"x"}',
  });
  assert.equal(notOwned.code, 'isv.DISPLAY_NUMBER_ILLEGAL');

  // Voice files and ASR models are read from PostgreSQL too.
  const base = { CalledShowNumber: SHOW, CalledNumber: '13800138000' };
  const missingFile = await callAction('v3', creds, 'SmartCall', { ...base, VoiceCode: 'abcd-0001.wav' });
  assert.equal(missingFile.code, 'isv.VOICE_FILE_ILLEGAL');
  await admin.voiceFiles.insert({
    id: 'abcd-0001.wav',
    accountId: account.id,
    name: 'hello.wav',
    path: '/nonexistent/hello.wav',
    durationMs: 1000,
    createdAt: Date.now(),
  });
  const withFile = await callAction('v3', creds, 'SmartCall', { ...base, VoiceCode: 'abcd-0001.wav' });
  assert.equal(withFile.code, 'OK', JSON.stringify(withFile));
  const missingModel = await callAction('v3', creds, 'SmartCall', {
    ...base,
    VoiceCode: 'abcd-0001.wav',
    AsrModelId: 'no-such-model',
  });
  assert.equal(missingModel.code, 'isv.ASR_MODEL_ERROR');
  await admin.calls.update(String(withFile.body!.CallId), { state: 'failed' });

  const detail = await callAction('v3', creds, 'QueryCallDetailByCallId', {
    CallId: callId,
    ProdId: '11030000180001',
    QueryDate: String(Date.now()),
  });
  assert.equal(detail.code, 'OK', JSON.stringify(detail));
  const data = JSON.parse(String(detail.body!.Data)) as { callee: string; caller: string };
  assert.equal(data.callee, '13800138000');
  assert.equal(data.caller, SHOW);

  const forged = await callAction(
    'v2',
    { ...creds, accessKeySecret: 'not-the-secret-at-all-000000000' },
    'SmartCall',
    {
      CalledShowNumber: SHOW,
      CalledNumber: '13800138000',
      VoiceCode: '$a$',
      VoiceCodeParam: '{"a":"x"}',
    },
  );
  assert.equal(forged.code, 'SignatureDoesNotMatch');
  assert.equal(forged.status, 400);

  // A scheduler holds it (claimed, still queued); CancelCall on the API node still ends it.
  const queue = new PgCallQueue(admin.pool, 'scheduler-1');
  assert.deepEqual(
    (await queue.claim(10, 60_000)).map((c) => c.callId),
    [callId],
    'the scheduler queue sees the accepted call',
  );
  const cancel = await callAction('v3', creds, 'CancelCall', { CallId: callId });
  assert.equal(cancel.code, 'OK', JSON.stringify(cancel));
  assert.equal(cancel.body!.Status, true);
  const ended = (await admin.calls.find(callId))!;
  assert.equal(ended.state, 'failed');
  assert.equal(ended.smartStatusCode, 'CANCEL');
  assert.equal(ended.statusCode, '200003');
  const receipts = await admin.receipts.listByCall(callId);
  assert.deepEqual(
    receipts.map((r) => [r.type, r.receiptId]),
    [['VoiceReport', `${callId}:report`]],
    'one VoiceReport in the outbox',
  );
  assert.equal(
    (JSON.parse(receipts[0]!.payload) as { smart_status_code: string }).smart_status_code,
    'CANCEL',
  );
  assert.deepEqual(await queue.start(callId, { name: 'trunk', cps: 10, maxCalls: 10 }), {
    started: false,
    reason: 'gone',
  });
  const again = await callAction('v3', creds, 'CancelCall', { CallId: callId });
  assert.equal(again.body!.Status, false, 'an ended call is not cancelled twice');
});
