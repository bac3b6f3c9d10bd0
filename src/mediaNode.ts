/**
 * Composition root of a media node (`serve --role media --store postgres://…`, issue 15): SIP, RTP,
 * speech, dialogue and callbacks as in one process (startSmartcall's pieces), for the calls this node
 * claims from the queue shared by every node (QueueDialer over PgCallQueue: a trunk's CPS and
 * concurrency limits hold across all nodes). The call engine writes through a per-call write-behind
 * in front of PostgreSQL (WriteBehindStore); receipts are pushed from the shared outbox under leases
 * (as a receipt node does). A node's calls in progress carry a lease it renews; calls whose owner's
 * lease lapsed (the node died) are finalised here as single-node crash recovery does (one terminal
 * state, one VoiceReport). HTTP serves `/metrics` and `/healthz` only. Inbound calls (spec §4.7) are
 * taken as in one process (InboundGate on the trunks' `inboundFrom`, InboundCalls): the number and its
 * account are read from PostgreSQL, and the call's row is written there already this node's, under a
 * lease renewed with its other calls (a dead node's inbound calls are finalised like its outbound
 * ones). With Redis, the node claims each call's ownership (CallOwners) as it starts it, and serves the
 * operations API nodes forward to its calls on a signed internal endpoint (`cluster.internalPort`).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify from 'fastify';
import { CallbackClient } from './callback/callbackClient.js';
import { ReceiptPusher } from './callback/receiptPusher.js';
import { CallEventLog } from './calls/callEventLog.js';
import { CallEvents } from './calls/callEvents.js';
import { CallIdGenerator } from './calls/callId.js';
import { CallLedger } from './calls/callLedger.js';
import { CallMetrics } from './calls/callMetrics.js';
import { internalFailureResult } from './calls/callOutcome.js';
import { CallSession, type CallSessionDeps, type LiveCall } from './calls/callSession.js';
import { InboundCalls } from './calls/inboundCalls.js';
import { finaliseOrphans } from './calls/orphanReaper.js';
import { QueueDialer } from './calls/queueDialer.js';
import { accountPrompts, speechListeners, speechSynthesizer } from './calls/speechBridge.js';
import { trunkDial } from './calls/trunkDial.js';
import { systemClock } from './clock/clock.js';
import { sleep, within } from './clock/within.js';
import { clusterSecret, InternalEndpoint } from './cluster/callOperations.js';
import { CallOwners } from './cluster/callOwners.js';
import { NodeHeartbeat } from './cluster/nodeHeartbeat.js';
import { NodeRegistry } from './cluster/nodeRegistry.js';
import { type Config, mediaWorkerCount, networkAddresses } from './config.js';
import type { SmartCallRequest } from './contract/smartCallRequest.js';
import { PromptBuilder } from './media-library/promptBuilder.js';
import { RecordingLinkSigner } from './media-library/recordingLinks.js';
import { DnsResolver } from './net/dnsResolver.js';
import { awaitDrain, connectRedis, networkFilesFor, type RunningNode, Shutdown } from './nodeParts.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { registerMetricsRoute } from './observability/metricsRoute.js';
import { SpeechEngines } from './speech/speechEngines.js';
import { PgCallQueue } from './store/postgres/callQueue.js';
import { openPool } from './store/postgres/pgDatabase.js';
import { PgStore } from './store/postgres/pgStore.js';
import type { CallRecord } from './store/records.js';
import { WriteBehindStore } from './store/writeBehindStore.js';
import { InboundGate } from './telephony/inboundGate.js';
import { Telephony } from './telephony/telephony.js';
import { SecretBox } from './tenancy/secretBox.js';

/** A call's ownership as written at its start: the heartbeat's (three beats of 2 s). */
const OWNERSHIP_TTL_MS = 6000;

export interface RunningMediaNode extends RunningNode {
  /** The name this node's calls carry in the queue (`claimed_by`). */
  node: string;
  httpPort: number;
}

export async function startMediaNode(config: Config, log: Logger): Promise<RunningMediaNode> {
  const shutdown = new Shutdown();
  const store = await PgStore.open(config.store.url);
  shutdown.add('store', () => store.close());
  try {
    const box = SecretBox.forConfig(config);
    const callIds = new CallIdGenerator(config.nodeId);
    const node = `media-${callIds.nodeId}-${randomUUID().slice(0, 8)}`;
    const leaseMs = config.calls.leaseSeconds * 1000;
    let pusher: ReceiptPusher | undefined;
    // A call this node no longer holds (lease lost, ended elsewhere) is hung up at once.
    const live = new Map<string, LiveCall>();
    const hangUp = (callId: string) => {
      const call = live.get(callId);
      if (!call) return;
      log.warn({ callId }, 'the call is no longer this node’s: hung up');
      if (call.hangUp) call.hangUp();
      else call.cancel();
    };
    const writes = new WriteBehindStore({
      store,
      clock: systemClock,
      log: log.child({ component: 'store' }),
      onReceipts: () => pusher?.wake(),
      node,
      onFenceLost: hangUp,
    });
    shutdown.add('writes', async () => {
      await within(writes.flushAll(), 10_000, systemClock);
      writes.close();
    });
    const sync = writes.sync;
    await writes.refreshTrunks();

    const door = new InboundGate({
      sources: () => sync.trunks.list().flatMap((t) => t.inboundFrom ?? []),
      clock: systemClock,
      log: log.child({ component: 'sip' }),
    });

    const speech = await SpeechEngines.start({ config: config.speech, asrModels: sync.asrModels, log });
    shutdown.add('speech', () => speech.close());
    const mediaWorkers = mediaWorkerCount(config);
    const telephony = await Telephony.create({
      ...networkAddresses(config),
      sipUdpPort: config.sip.udpPort,
      sipTcpPort: config.sip.tcpPort,
      rtpPortMin: config.rtp.portMin,
      rtpPortMax: config.rtp.portMax,
      mediaWorkers,
      timers: { t1: config.sip.t1Ms },
      // INVITEs only from the ranges trunks list (--inbound-from); others get 403.
      admitInvite: (request, source) => door.admit(request, source),
      logger: log.child({ component: 'sip' }),
    });
    shutdown.add('telephony', () => telephony.close());

    const events = new CallEvents();
    const eventLog = new CallEventLog({ store: sync, events, log });
    shutdown.add('call events', () => eventLog.close());
    const links = new RecordingLinkSigner({
      key: RecordingLinkSigner.keyFrom(config.dataDir),
      validDays: config.recordings.urlValidDays,
      baseUrl: () => config.recordings.publicBaseUrl ?? `http://${config.http.host}:${config.http.port}`,
    });
    const ledger = new CallLedger(sync, links, log, systemClock);
    const metrics = new Metrics();
    const callMetrics = new CallMetrics(metrics, events);
    ledger.onStateChange = (call) => callMetrics.stateChanged(call);
    shutdown.add('call metrics', () => callMetrics.close());

    const receipts = new ReceiptPusher({
      store,
      time: systemClock,
      log: log.child({ component: 'receipts' }),
      timeoutMs: config.receipts.timeoutMs,
      retryDelaysMs: config.receipts.retryDelaysSeconds.map((s) => s * 1000),
      leaseMs: config.receipts.leaseSeconds * 1000,
      idleMs: config.receipts.pollMs,
    });
    pusher = receipts;
    receipts.start();
    shutdown.add('receipts', () => receipts.stop());

    const dns = new DnsResolver({
      servers: config.sip.dnsServers,
      timeoutMs: config.media.networkFileTimeoutMs,
    });
    const networkFiles = networkFilesFor(config, dns);
    const clock = telephony.clock;
    const sessionDeps: CallSessionDeps = {
      store: sync,
      ledger,
      dial: trunkDial({
        telephony,
        trunkPassword: (t) => (t.passwordEnc === null ? undefined : box.open(t.passwordEnc)),
        ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
        dns,
        log: log.child({ component: 'trunk' }),
      }),
      prompts: accountPrompts(
        (accountName) =>
          new PromptBuilder({ store: sync, networkFiles, tts: speechSynthesizer(speech, accountName), log }),
        (accountId) => sync.accounts.findById(accountId)?.name,
      ),
      callbacks: new CallbackClient(),
      listeners: speechListeners(speech, clock),
      events,
      time: clock,
      log,
      recordingsDir: config.recordings.dir ?? join(config.dataDir, 'recordings'),
      callbackSecret: (a) =>
        a.callback.signingSecretEnc ? box.open(a.callback.signingSecretEnc) : undefined,
      callCenters: config.calls.callCenters,
      live,
    };

    const queue = new PgCallQueue(store.pool, node, { leaseMs });
    // With Redis: CallId → this node, written as a call starts (then by each heartbeat) and
    // dropped as it ends, so an API node routes SmartCallOperate here from the first ring.
    let owners: CallOwners | undefined;
    const redisLog = log.child({ component: 'redis' });
    const claimOwnership = (callId: string) =>
      owners
        ?.hold([callId], callIds.nodeId, OWNERSHIP_TTL_MS)
        .catch((err: unknown) =>
          redisLog.warn({ callId, cause: (err as Error).message }, 'claiming the call’s ownership failed'),
        );
    const dropOwnership = (callId: string) => owners?.release(callId, callIds.nodeId).catch(() => undefined); // lapses with its TTL anyway
    // Leases are renewed on their own connection: start traffic never starves them.
    const renewPool = openPool(config.store.url, { max: 1 });
    renewPool.on('error', (err) => log.warn({ err }, 'the lease connection failed'));
    shutdown.add('lease connection', () => renewPool.end());
    const renewQueue = new PgCallQueue(renewPool, node, { leaseMs });
    const finalising = new Set<string>();
    /** The inbound calls this node carries: their leases are renewed with the dialer's calls. */
    const inboundOwned = new Set<string>();
    const fail = (call: CallRecord, why: string) => {
      log.warn({ callId: call.callId, why }, 'call failed before dialing');
      let earlyMediaAsr = false;
      try {
        earlyMediaAsr = (JSON.parse(call.request) as SmartCallRequest).earlyMediaAsr === true;
      } catch {
        // an unreadable request changes nothing here
      }
      try {
        ledger.finish(
          call.callId,
          { state: 'failed', endAt: Math.round(clock.now()), ...internalFailureResult(why) },
          { earlyMediaAsr, recorded: false },
        );
      } catch {
        // logged by the ledger; the lease lapses and the call is finalised as an orphan
      }
    };
    const dialer = new QueueDialer({
      queue,
      trunkFor: () => sync.trunks.findDefault(),
      prepare: async (call) => {
        writes.adopt(call);
        await writes.prefetch(call.accountId);
      },
      place: (call, trunk) => {
        writes.patchInMemory(call.callId, {
          state: 'dialing',
          trunk: trunk.name,
          ...(call.originateAt !== null && { originateAt: call.originateAt }),
        });
        void claimOwnership(call.callId);
        return CallSession.run(sessionDeps, call, trunk);
      },
      fail,
      settled: (callId) => {
        void dropOwnership(callId);
        return writes.release(callId);
      },
      capacity: Math.min(
        config.calls.nodeCapacity ?? Number.POSITIVE_INFINITY,
        Math.floor((config.rtp.portMax - config.rtp.portMin + 1) / 2),
      ),
      // About two seconds of starts ahead: the rest of the backlog stays for the other nodes.
      claimAhead: () => Math.ceil((sync.trunks.findDefault()?.cps ?? 1) * 2),
      renew: (ids, ms) => renewQueue.renew(ids, ms),
      alsoRenew: () => [...finalising, ...inboundOwned],
      // An INVITE still being looked up becomes a leased row soon: renewal waits for it.
      keepRenewing: () => inbound.taking > 0,
      lost: hangUp,
      holdMs: leaseMs,
      pollMs: config.calls.queuePollMs,
      clock: systemClock,
      log: log.child({ component: 'dialer' }),
    });

    // Calls to numbers marked inbound (spec §4.7), as on role `all`: the number and its account are
    // read from PostgreSQL; the row is written there this node's, leased (see above).
    const inbound = new InboundCalls({
      telephony,
      store: {
        numbers: { find: (number) => store.numbers.find(number) },
        accounts: {
          findById: async (id) => {
            await writes.prefetch(id);
            return sync.accounts.findById(id);
          },
        },
        trunks: sync.trunks,
      },
      session: {
        ...sessionDeps,
        store: sync,
        callIds,
        defaultTrunk: () => sync.trunks.findDefault(),
        record: async (call) => {
          if (!(await queue.insertOwned(call, leaseMs))) return false;
          writes.adopt(call);
          inboundOwned.add(call.callId);
          void claimOwnership(call.callId);
          return true;
        },
        settled: async (callId) => {
          void dropOwnership(callId);
          try {
            await writes.release(callId);
          } finally {
            inboundOwned.delete(callId);
          }
        },
      },
      log: log.child({ component: 'inbound' }),
    });
    shutdown.add('inbound calls', () => inbound.stop());

    // Trunks are read again now and then (an admin may change them on another node).
    const background = new AbortController();
    const trunkRefresh = (async () => {
      while (!background.signal.aborted) {
        await sleep(5000, systemClock, background.signal);
        if (background.signal.aborted) break;
        await writes.refreshTrunks().catch((err) => log.warn({ err }, 'reading the trunks failed'));
      }
    })();
    // Calls whose owner's lease lapsed a lease ago (a media node died) get their terminal state here,
    // only after the database has been reachable for a full lease (their owners renew first).
    const finaliser = (async () => {
      let reachableSince: number | undefined;
      while (!background.signal.aborted) {
        await sleep(Math.max(100, Math.floor(leaseMs / 2)), systemClock, background.signal);
        if (background.signal.aborted) break;
        let orphans: CallRecord[] = [];
        try {
          if (reachableSince === undefined) {
            await store.pool.query('SELECT 1');
            reachableSince = systemClock.now();
          }
          if (systemClock.now() - reachableSince < leaseMs) continue;
          orphans = (await queue.claimOrphans(100, leaseMs, leaseMs)).filter(
            (c) => !dialer.owns(c.callId) && !inboundOwned.has(c.callId),
          );
          if (orphans.length === 0) continue;
          for (const call of orphans) finalising.add(call.callId);
          for (const call of orphans) {
            writes.adopt(call);
            await writes.prefetch(call.accountId);
          }
          log.warn({ calls: orphans.length }, 'calls of a media node that is gone are finalised');
          finaliseOrphans(orphans, ledger, log, { clock: systemClock, cause: 'restart' });
          await Promise.all(orphans.map((c) => writes.release(c.callId)));
        } catch (err) {
          reachableSince = undefined;
          log.error({ err }, 'finalising the calls of a lost node failed: trying again');
          await Promise.all(orphans.map((c) => writes.release(c.callId).catch(() => undefined)));
        } finally {
          for (const call of orphans) finalising.delete(call.callId);
        }
      }
    })();
    shutdown.add('background', async () => {
      background.abort();
      await Promise.all([trunkRefresh, finaliser]);
    });
    shutdown.add('dialer', async () => {
      const settled = dialer.stop();
      await telephony.close();
      // Bounded: writes that cannot land (database gone) must not hold the shutdown for ever.
      if (!(await within(settled, Math.max(1000, config.calls.drainSeconds * 1000), systemClock)))
        log.warn(
          { calls: dialer.stats.placed, unwritten: writes.pending },
          'stopping: calls whose writes did not land in time are left (finalised by another node)',
        );
    });

    let internalUrl: string | undefined;
    let draining = false;
    const redis = await connectRedis(config, log, shutdown);
    if (redis) {
      const connection = redis;
      owners = new CallOwners(connection);
      // Operations forwarded by the API nodes run here, on the live session, as on role `all`.
      const internal = await InternalEndpoint.listen({
        host: config.cluster.internalHost ?? config.http.host,
        port: config.cluster.internalPort,
        // checkRole refuses a media node without masterKey.
        secret: clusterSecret(config.masterKey ?? ''),
        clock: systemClock,
        log: log.child({ component: 'cluster' }),
        operate: (op) => sessionDeps.live.get(op.callId)?.operateParallelBridge() ?? false,
      });
      shutdown.add('internal endpoint', () => internal.close());
      internalUrl = internal.url;
      const heartbeat = new NodeHeartbeat({
        redis: connection,
        registry: new NodeRegistry(connection),
        owners,
        card: () => {
          const sip = telephony.ua.localEndpoint('udp');
          return {
            nodeId: callIds.nodeId,
            role: 'media',
            sipAddress: sip ? `${sip.address}:${sip.port}` : '',
            capacity: Math.min(
              config.calls.nodeCapacity ?? Number.POSITIVE_INFINITY,
              Math.floor((config.rtp.portMax - config.rtp.portMin + 1) / 2),
            ),
            calls: sessionDeps.live.size,
            internalUrl: internal.url,
            // The scheduler assigns calls under this name, only while this node takes new ones.
            ...(!draining && !dialer.fenced && { queue: node }),
          };
        },
        liveCalls: () => sessionDeps.live.keys(),
        clock: systemClock,
      });
      heartbeat.start();
      shutdown.add('node heartbeat', () => heartbeat.stop());
    }

    const app = Fastify({ logger: false });
    registerMetricsRoute(app, metrics, { token: config.metrics.token, host: config.http.host });
    app.get('/healthz', async () => ({ status: 'ok', role: 'media' }));
    await app.listen({ host: config.http.host, port: config.http.port });
    shutdown.add('http', () => app.close());
    const httpPort = (app.server.address() as AddressInfo).port;

    dialer.start();
    log.info(
      {
        host: config.http.host,
        port: httpPort,
        role: 'media',
        node,
        store: store.kind,
        sip: telephony.ua.localEndpoint('udp'),
        leaseSeconds: config.calls.leaseSeconds,
        ...(redis && { redis: redis.up ? 'connected' : 'unreachable', internal: internalUrl }),
      },
      'smartcall started',
    );
    return {
      store,
      httpPort,
      demo: undefined,
      consoleLogin: undefined,
      node,
      async drain(timeoutMs) {
        draining = true;
        telephony.ua.refuseNewCalls(Math.max(1, Math.ceil(timeoutMs / 1000)));
        const calls = sessionDeps.live.size;
        log.info(
          { calls, held: dialer.stats.held, timeoutSeconds: timeoutMs / 1000 },
          'draining: no new calls, held calls go back to the queue; the calls in progress may end by themselves',
        );
        // Inbound INVITEs being looked up are waited for as well, as the calls in progress are.
        return awaitDrain(Promise.all([dialer.stop(), inbound.stop()]), sessionDeps.live, timeoutMs, log);
      },
      async close() {
        await shutdown.run(log);
        log.info('smartcall stopped');
      },
    };
  } catch (err) {
    await shutdown.run(log);
    throw err;
  }
}
