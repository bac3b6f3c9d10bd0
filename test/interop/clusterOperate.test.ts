/**
 * SmartCallOperate from any API node reaches the media node that owns the call (issue 15): a
 * SmartCall accepted by API node A is placed by a media node; its callback asks for a parallel
 * transfer; `parallelBridge` sent through API node B is forwarded (CallOwners in Redis → the
 * owner's signed internal endpoint) and bridges the callee with the agent — Status true, and the
 * agent hanging up then ends the call, long before the callee would. Before the leg exists, and for
 * a CallId no node owns, Status is false (as on one process). The internal endpoint refuses a
 * request without the cluster's signature. Every node is `serve` through the real CLI.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clusterSecret, OPERATE_PATH, signInternal } from '../../src/cluster/callOperations.js';
import {
  CLUSTER_MASTER_KEY,
  PERSONA_NUMBERS,
  personasYaml,
  startCluster,
  type TestCluster,
  until,
} from '../helpers/cluster.js';

const { callee: CALLEE, agent: AGENT } = PERSONA_NUMBERS;

let c: TestCluster;
before(async () => {
  c = await startCluster({
    personas: personasYaml('callee', 'agent'),
    trunk: { cps: 10, maxCalls: 10 },
    callCenters: { cc: AGENT },
    leaseSeconds: 5,
  });
});
after(() => c?.close());

test('SmartCallOperate through the API node that did not accept the call reaches its media node', async () => {
  const [apiA, apiB, media] = await Promise.all([
    c.node('api', 'apiA'),
    c.node('api', 'apiB'),
    c.node('media', 'm1'),
  ]);
  const operate = async (callId: string) => {
    const r = await c.call(apiB, 'SmartCallOperate', { CallId: callId, Command: 'parallelBridge' });
    assert.equal(r.code, 'OK', JSON.stringify(r));
    return r.body!.Status;
  };
  let early: unknown;
  let bridged: unknown;
  c.callbacks.script = (cb) => {
    if (
      cb.contentType === 'mute' &&
      !c.callbacks.forCall(cb.callId).some((x) => x.contentType === 'parallel_transfer')
    ) {
      void operate(cb.callId).then((s) => {
        early = s;
      });
      return { action: 'parallel_transfer', cc_name: 'cc', is_monitor: true, dynamic_id: 'x' };
    }
    if (cb.contentType === 'parallel_transfer') {
      void operate(cb.callId).then((s) => {
        bridged = s;
      });
    }
    return { action: 'donothing', mute_time: 30000 };
  };
  const startedAt = Date.now();
  const callId = await c.smartCall(apiA, CALLEE, 'op-1', { MuteTime: '1000' });
  const record = await until('the call to end', 30_000, async () => {
    const r = await c.admin.calls.find(callId);
    return r && (r.state === 'ended' || r.state === 'failed') ? r : undefined;
  });
  const pt = c.callbacks.forCall(callId).find((x) => x.contentType === 'parallel_transfer');
  assert.equal((pt?.content as { transfer_status?: string })?.transfer_status, 'success', JSON.stringify(pt));
  await until('both operations answered', 5000, async () =>
    early !== undefined && bridged !== undefined ? true : undefined,
  );
  assert.equal(early, false, 'no parallel leg yet: Status false');
  assert.equal(bridged, true, 'the owner bridged the live leg: Status true');
  assert.equal(record.state, 'ended');
  assert.equal(record.hangupDirection, '机器', 'the bridged agent hanging up ended the call');
  assert.ok(Date.now() - startedAt < 18_000, 'it ended with the agent, not with the callee 20 s on');
  assert.equal(await operate('no-such-call-id'), false, 'a CallId no node owns: Status false');

  // The internal endpoint is never open: unsigned or wrongly signed requests run nothing.
  const internal = /"internal":"([^"]+)"/.exec(media.output())?.[1];
  assert.ok(internal, `the media node logs its internal URL: ${media.output().slice(-600)}`);
  const body = JSON.stringify({ callId, command: 'parallelBridge' });
  const post = (headers: Record<string, string>) =>
    fetch(internal + OPERATE_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  assert.equal((await post({})).status, 401, 'unsigned: 401');
  const at = Date.now();
  const wrong = signInternal(clusterSecret('some-other-master-key-000'), at, body);
  assert.equal((await post({ 'x-smartcall-at': String(at), 'x-smartcall-signature': wrong })).status, 401);
  const right = signInternal(clusterSecret(CLUSTER_MASTER_KEY), at, body);
  const ok = await post({ 'x-smartcall-at': String(at), 'x-smartcall-signature': right });
  assert.equal(ok.status, 200, 'signed with the cluster key: served');
  assert.deepEqual(await ok.json(), { status: false }, 'the call is over: nothing to bridge');
});
