/**
 * The shipped deploy/kamailio/dispatcher.cfg in front of two smartcall nodes: inbound calls are
 * spread by call load; a node that drains (503 to OPTIONS) or stops answering is taken out (its
 * calls go to the other node, none fails), and it is put back once it answers again.
 *
 * Each node declines every call (`hangup` to `callin` → 603) after holding it for a second in its
 * callback, so calls overlap and the load the dispatcher counts is real.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { sipInvite } from '../cli/sipProbe.js';
import { type ApiHarness, startApiHarness } from '../helpers/apiHarness.js';
import { CallbackServer } from '../helpers/e2eHarness.js';
import { startKamailioDispatcher } from '../helpers/kamailioDispatcher.js';
import { laneWindow } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, waitUntil } from '../helpers/sipPeers.js';

const INBOUND = '057100003333';

interface Node {
  api: ApiHarness;
  callbacks: CallbackServer;
  sipPort: number;
}

let kamailio: Peer;
let kamailioPort: number;
let nodeA: Node;
let nodeB: Node | undefined;
let nodeBPort: number;
let nodeAPort: number;

/** Node `slot`'s 100 RTP ports inside this lane's smartcall window. */
async function startNode(sipPort: number, slot: number): Promise<Node> {
  const rtpPortMin = laneWindow('rtp').min + slot * 100;
  const callbacks = new CallbackServer();
  await callbacks.start();
  callbacks.delayMs = 1000;
  callbacks.script = (cb) => (cb.contentType === 'callin' ? { action: 'hangup' } : { action: 'donothing' });
  const api = await startApiHarness({
    sip: { udpPort: sipPort, tcpPort: sipPort },
    rtp: { portMin: rtpPortMin, portMax: rtpPortMin + 99 },
  });
  api.admin.setCallback('acme', { url: callbacks.url });
  api.admin.addNumber('acme', INBOUND, { inbound: true });
  // The dispatcher's INVITEs come from 127.0.0.1: the node's door lets that range in.
  new TrunkAdmin(api.running.store, SecretBox.forConfig({ dataDir: api.dataDir })).add({
    name: 'dispatcher',
    uri: `sip:127.0.0.1:${kamailioPort}`,
    inboundFrom: ['127.0.0.1/32'],
    isDefault: true,
  });
  return { api, callbacks, sipPort };
}

async function stopNode(node: Node | undefined): Promise<void> {
  await node?.api.close();
  await node?.callbacks.close();
}

const callins = (node: Node) => node.callbacks.received.filter((c) => c.contentType === 'callin').length;

/** Places `n` calls at once through the dispatcher; resolves their final statuses. */
async function placeCalls(n: number): Promise<(number | undefined)[]> {
  const answers = await Promise.all(
    Array.from({ length: n }, () =>
      sipInvite({ host: '127.0.0.1', port: kamailioPort, number: INBOUND, timeoutMs: 15_000 }),
    ),
  );
  return answers.map((a) => a?.status);
}

before(async () => {
  kamailioPort = await freePort();
  nodeAPort = await freePort();
  nodeBPort = await freePort();
  nodeA = await startNode(nodeAPort, 0);
  nodeB = await startNode(nodeBPort, 1);
  kamailio = await startKamailioDispatcher({
    port: kamailioPort,
    nodes: [
      { uri: `sip:127.0.0.1:${nodeAPort}`, duid: 'media-a', maxload: 100 },
      { uri: `sip:127.0.0.1:${nodeBPort}`, duid: 'media-b', maxload: 100 },
    ],
    pingIntervalSeconds: 1,
    pingThreshold: 1,
  });
});

after(async () => {
  await kamailio?.stop();
  await stopNode(nodeA);
  await stopNode(nodeB);
});

const downs = (port: number) =>
  kamailio.output().match(new RegExp(`NODE DOWN OPTIONS sip:127\\.0\\.0\\.1:${port}\\b`, 'g'))?.length ?? 0;
const ups = (port: number) =>
  kamailio.output().match(new RegExp(`NODE UP OPTIONS sip:127\\.0\\.0\\.1:${port}\\b`, 'g'))?.length ?? 0;

test('calls are spread by load; a draining node and a dead node are taken out via OPTIONS, and put back when they answer again', async () => {
  // 1. Ten calls at once: each node holds the ones it got for a second, so the least-loaded
  //    choice alternates between them.
  const first = await placeCalls(10);
  assert.deepEqual(first, Array(10).fill(603), kamailio.output().slice(-3000));
  const a1 = callins(nodeA);
  const b1 = callins(nodeB!);
  assert.equal(a1 + b1, 10);
  assert.ok(a1 >= 4 && b1 >= 4, `spread by load: node A got ${a1}, node B got ${b1}`);

  // 2. Node B drains (what SIGTERM does): it answers OPTIONS with 503, so the dispatcher takes it
  //    out, and every new call goes to node A; none fails.
  const drained = nodeB!.api.running.drain(30_000);
  await waitUntil(() => downs(nodeBPort) === 1, 10_000, 'draining node B taken out');
  const second = await placeCalls(6);
  assert.deepEqual(second, Array(6).fill(603), kamailio.output().slice(-3000));
  assert.equal(callins(nodeA), a1 + 6);
  assert.equal(callins(nodeB!), b1, 'no new call reached the draining node');
  assert.deepEqual(await drained, { left: 0 });

  // 3. Node B restarts on its address: the pings see it and it takes calls again.
  await stopNode(nodeB);
  nodeB = await startNode(nodeBPort, 2);
  await waitUntil(() => ups(nodeBPort) >= 1, 10_000, 'node B up');
  const third = await placeCalls(6);
  assert.deepEqual(third, Array(6).fill(603), kamailio.output().slice(-3000));
  assert.ok(callins(nodeB) >= 2, `node B back in the set got ${callins(nodeB)} of 6`);

  // 4. Node A dies (its SIP port no longer answers): the pings find it dead, the calls go to B.
  const a4 = callins(nodeA);
  const b4 = callins(nodeB);
  await stopNode(nodeA);
  await waitUntil(() => downs(nodeAPort) === 1, 10_000, 'dead node A taken out');
  const fourth = await placeCalls(6);
  assert.deepEqual(fourth, Array(6).fill(603), kamailio.output().slice(-3000));
  assert.equal(callins(nodeB), b4 + 6);
  assert.equal(callins(nodeA), a4);
});
