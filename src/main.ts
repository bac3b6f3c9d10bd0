/**
 * Composition root: config → store → engines → servers. `startSmartcall` returns a handle whose
 * `close()` stops everything it started, in reverse order.
 */

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { CallbackClient } from './callback/callbackClient.js';
import { ReceiptPusher } from './callback/receiptPusher.js';
import { CallCancellation } from './calls/callCancellation.js';
import { CallEventLog } from './calls/callEventLog.js';
import { CallEvents } from './calls/callEvents.js';
import { CallIdGenerator } from './calls/callId.js';
import { CallLedger } from './calls/callLedger.js';
import { CallMetrics } from './calls/callMetrics.js';
import { CallSession, type CallSessionDeps } from './calls/callSession.js';
import { CallWriter } from './calls/callWriter.js';
import { CampaignRunner } from './calls/campaigns/campaignRunner.js';
import { Dialer } from './calls/dialer.js';
import { InboundCalls } from './calls/inboundCalls.js';
import { registerLoadMetrics } from './calls/loadMetrics.js';
import { OrphanReaper, reapOrphanedCalls } from './calls/orphanReaper.js';
import { PolicyGate } from './calls/policy/policyGate.js';
import { accountPrompts, speechListeners, speechSynthesizer } from './calls/speechBridge.js';
import { TrunkAdmin } from './calls/trunkAdmin.js';
import { trunkDial } from './calls/trunkDial.js';
import { TrunkMonitor } from './calls/trunkMonitor.js';
import { TrunkRegistrar } from './calls/trunkRegistrar.js';
import { type Clock, systemClock } from './clock/clock.js';
import { CallOwners } from './cluster/callOwners.js';
import { NodeHeartbeat } from './cluster/nodeHeartbeat.js';
import { NodeRegistry } from './cluster/nodeRegistry.js';
import { type Config, mediaWorkerCount, networkAddresses } from './config.js';
import { CallTranscripts } from './console/callTranscripts.js';
import { registerConsoleRoutes } from './console/consoleRoutes.js';
import { consoleToken } from './console/consoleToken.js';
import { type ConsoleLogin, ConsoleUsers } from './console/consoleUsers.js';
import { registerWebConsole } from './console/webConsole.js';
import type { SmartCallRequest } from './contract/smartCallRequest.js';
import { DEMO_BOT_PATH, registerDemoBot } from './demo/demoBotRoute.js';
import {
  ObjectRecordingLinks,
  recordingKey,
  sweepRecordingObjects,
} from './media-library/objects/recordingObjects.js';
import { RecordingUploads } from './media-library/objects/recordingUploads.js';
import { S3Client } from './media-library/objects/s3Client.js';
import { PromptBuilder } from './media-library/promptBuilder.js';
import { RecordingLinkSigner } from './media-library/recordingLinks.js';
import { RecordingSweeper } from './media-library/recordingSweeper.js';
import { DnsResolver } from './net/dnsResolver.js';
import { awaitDrain, connectRedis, networkFilesFor, Shutdown } from './nodeParts.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { registerMetricsRoute } from './observability/metricsRoute.js';
import type { ActionHandler } from './openapi/actionContext.js';
import { type CallCanceller, cancelCallAction, noCancellation } from './openapi/actions/cancelCall.js';
import { dncActions } from './openapi/actions/dncNumbers.js';
import { ivrCallAction } from './openapi/actions/ivrCall.js';
import { queryCallDetailAction } from './openapi/actions/queryCallDetailByCallId.js';
import { robotTaskActions } from './openapi/actions/robotTasks.js';
import { singleCallByTtsAction } from './openapi/actions/singleCallByTts.js';
import { singleCallByVoiceAction } from './openapi/actions/singleCallByVoice.js';
import { smartCallAction, smartCallPlacer, smartCallRequestBuilder } from './openapi/actions/smartCall.js';
import {
  noParallelLegs,
  type ParallelBridger,
  smartCallOperateAction,
} from './openapi/actions/smartCallOperate.js';
import { createApiServer } from './openapi/apiServer.js';
import { RpcGateway } from './openapi/rpcGateway.js';
import { SharedAdmission } from './openapi/sharedAdmission.js';
import { PhonenetService } from './phonenet/phonenetService.js';
import { TtsPersonaVoice } from './phonenet/speechVoice.js';
import { type TlsSettings, uriHost } from './sip/index.js';
import { SpeechEngines } from './speech/speechEngines.js';
import type { TrunkRecord } from './store/records.js';
import type { Store } from './store/repositories.js';
import { SqliteStore } from './store/sqlite/sqliteStore.js';
import { TtlCache } from './store/ttlCache.js';
import { InboundGate } from './telephony/inboundGate.js';
import { Telephony } from './telephony/telephony.js';
import { CredentialResolver } from './tenancy/credentials.js';
import { DEMO_ACCOUNT, type DemoAccount, ensureDemoAccount } from './tenancy/demoAccount.js';
import { SecretBox } from './tenancy/secretBox.js';
import { TenancyAdmin } from './tenancy/tenancyAdmin.js';

export interface RunningSmartcall {
  store: Store;
  /** The port the API listens on (useful when configured as 0). */
  httpPort: number;
  /** Present on the first start in embedded mode only. */
  demo: DemoAccount | undefined;
  /** The console login made on the first start (printed once beside the demo key). */
  consoleLogin: ConsoleLogin | undefined;
  events: CallEvents;
  telephony: Telephony;
  phonenet: PhonenetService | undefined;
  /** This server's figures (`GET /metrics`). */
  metrics: Metrics;
  /** The calling policy every call passes. */
  gate: PolicyGate;
  /** Runs the stored campaigns (started with the dialer). */
  campaigns: CampaignRunner;
  /**
   * Takes no new call and lets the calls in progress end by themselves, for at most `timeoutMs`:
   * out-of-dialog INVITEs and OPTIONS get 503 (a dispatcher in front takes this node out), the
   * dialer and the campaigns start nothing more (queued calls stay queued in the store for the next
   * start, or for another node). Resolves how many calls were still up when the time ran out;
   * `close()` then hangs those up as it always does.
   */
  drain(timeoutMs: number): Promise<{ left: number }>;
  close(): Promise<void>;
}

export const PHONENET_TRUNK = 'phonenet';
/** How often calls left in progress by a failed final write are looked for. */
const ORPHAN_SWEEP_MS = 30_000;

export function buildActions(
  store: Store,
  config: Config,
  onAccepted?: (callId: string) => void,
  bridger: ParallelBridger = noParallelLegs,
  canceller: CallCanceller = noCancellation,
  callIds: CallIdGenerator = new CallIdGenerator(config.nodeId),
  gate?: PolicyGate,
): Record<string, ActionHandler> {
  const calls = {
    store,
    callIds,
    writer: new CallWriter(store),
    outIdMaxBytes: config.api.outIdMaxBytes,
    ...(onAccepted && { onAccepted }),
    ...(gate && { gate }),
  };
  return {
    ...robotTaskActions({ store, outIdMaxBytes: config.api.outIdMaxBytes, time: gate ?? systemClock }),
    ...dncActions({ store, time: gate ?? systemClock }),
    SmartCall: smartCallAction(calls),
    QueryCallDetailByCallId: queryCallDetailAction({ store }),
    SmartCallOperate: smartCallOperateAction({ store, bridger }),
    SingleCallByVoice: singleCallByVoiceAction(calls),
    SingleCallByTts: singleCallByTtsAction(calls),
    IvrCall: ivrCallAction(calls),
    CancelCall: cancelCallAction({ store, canceller }),
  };
}

export interface StartOptions {
  /**
   * The clock of the calling policy (windows, caps, campaign schedules); default the call path's.
   * Tests give a ManualClock to run calling windows without waiting for the hour.
   */
  policyClock?: Clock;
}

export async function startSmartcall(
  config: Config,
  log: Logger,
  options: StartOptions = {},
): Promise<RunningSmartcall> {
  const shutdown = new Shutdown();
  const store = SqliteStore.open(config.dataDir);
  shutdown.add('store', () => store.close());
  try {
    const box = SecretBox.forConfig(config);
    const tenancy = new TenancyAdmin(store, box);
    const trunks = new TrunkAdmin(store, box);
    const demo = config.mode === 'embedded' ? ensureDemoAccount(store, tenancy) : undefined;
    const consoleLogin = await new ConsoleUsers(store, systemClock).ensureFirstAdmin();

    const speech = await SpeechEngines.start({ config: config.speech, asrModels: store.asrModels, log });
    shutdown.add('speech', () => speech.close());

    // The platform's UA takes INVITEs only from ranges trunks list (--inbound-from) or on a trunk's
    // registered flow (the registrar, to our binding's Contact); others get 403.
    let registrar: TrunkRegistrar | undefined;
    const door = new InboundGate({
      sources: () => store.trunks.list().flatMap((t) => t.inboundFrom ?? []),
      registered: (request, source) => registrar?.vouches(request, source) ?? false,
      clock: systemClock,
      log: log.child({ component: 'sip' }),
    });
    const mediaWorkers = mediaWorkerCount(config);
    const telephony = await Telephony.create({
      ...networkAddresses(config),
      sipUdpPort: config.sip.udpPort,
      sipTcpPort: config.sip.tcpPort,
      sipTls: sipTlsSettings(config.sip.tls),
      rtpPortMin: config.rtp.portMin,
      rtpPortMax: config.rtp.portMax,
      mediaWorkers,
      timers: { t1: config.sip.t1Ms },
      admitInvite: (request, source) => door.admit(request, source),
      logger: log.child({ component: 'sip' }),
    });
    shutdown.add('telephony', () => telephony.close());

    let phonenet: PhonenetService | undefined;
    if (config.mode === 'embedded' && config.phonenet.enabled) {
      phonenet = await PhonenetService.start({
        config: config.phonenet,
        dataDir: config.dataDir,
        voice: new TtsPersonaVoice(speech.tts()),
        clock: telephony.clock,
        mediaWorkers,
        logger: log.child({ component: 'phonenet' }),
      });
      shutdown.add('phonenet', () => phonenet?.close());
      ensurePhonenetTrunk(trunks, config.phonenet.address, phonenet.carrier.sipPort);
    }

    const events = new CallEvents();
    // Each call's timeline (prompts, speech, keys, barge-ins, states, callbacks) into the store.
    const eventLog = new CallEventLog({ store, events, log });
    shutdown.add('call events', () => eventLog.close());
    let httpPort = config.http.port;
    const links = new RecordingLinkSigner({
      key: RecordingLinkSigner.keyFrom(config.dataDir),
      validDays: config.recordings.urlValidDays,
      baseUrl: () => config.recordings.publicBaseUrl ?? `http://${config.http.host}:${httpPort}`,
    });
    const objectStorage = config.recordings.storage.kind === 's3' ? config.recordings.storage : undefined;
    const objects =
      objectStorage &&
      new S3Client({
        endpoint: objectStorage.endpoint,
        region: objectStorage.region,
        bucket: objectStorage.bucket,
        credentials: objectStorage,
        forcePathStyle: objectStorage.forcePathStyle,
      });
    // With object storage the VoiceRecordReport waits for the upload and links to the object.
    const ledger = new CallLedger(
      store,
      objects && objectStorage
        ? new ObjectRecordingLinks({
            client: objects,
            prefix: objectStorage.prefix,
            validDays: config.recordings.urlValidDays,
          })
        : links,
      log,
      systemClock,
    );
    const metrics = new Metrics();
    const callMetrics = new CallMetrics(metrics, events);
    ledger.onStateChange = (call) => callMetrics.stateChanged(call);
    shutdown.add('call metrics', () => callMetrics.close());

    const pusher = new ReceiptPusher({
      store,
      time: systemClock,
      log: log.child({ component: 'receipts' }),
      timeoutMs: config.receipts.timeoutMs,
      retryDelaysMs: config.receipts.retryDelaysSeconds.map((s) => s * 1000),
    });
    ledger.onReceipts = () => pusher.wake();
    pusher.start();
    shutdown.add('receipts', () => pusher.stop());

    const recordingsDir = config.recordings.dir ?? join(config.dataDir, 'recordings');
    const sweeper = new RecordingSweeper({
      dir: recordingsDir,
      retentionDays: config.recordings.retentionDays,
      time: systemClock,
      log,
      // A call's stored timeline goes with its recording.
      forgetBefore: (at) => store.callEvents.removeBefore(at),
      ...(objects &&
        objectStorage && {
          sweepObjects: (cutoffDay: string) =>
            sweepRecordingObjects(objects, objectStorage.prefix, cutoffDay, log),
        }),
    });
    sweeper.start();
    shutdown.add('sweeper', () => sweeper.stop());
    // Finished recordings go up to object storage; the local copy stays until they are there.
    const uploads =
      objects &&
      objectStorage &&
      new RecordingUploads({
        client: objects,
        dir: recordingsDir,
        prefix: objectStorage.prefix,
        clock: systemClock,
        log: log.child({ component: 'recordings' }),
        multipartAboveBytes: objectStorage.multipartAboveBytes,
        partBytes: objectStorage.partBytes,
        isFinal: (callId) => {
          if (sessionDeps.live.has(callId)) return false;
          const call = store.calls.find(callId);
          return !call || call.state === 'ended' || call.state === 'failed';
        },
        stored: (callId) => {
          ledger.recordingStored(callId);
        },
      });
    if (uploads) {
      events.on('ended', ({ record }) => {
        if (record.recordPath) uploads.add(record.recordPath);
      });
      shutdown.add('recording uploads', () => uploads.stop());
    }

    const dns = new DnsResolver({
      servers: config.sip.dnsServers,
      timeoutMs: config.media.networkFileTimeoutMs,
    });
    const networkFiles = networkFilesFor(config, dns);
    // One clock for the call path: the media clock's frame times, answer times and speech times.
    const clock = telephony.clock;
    const sessionDeps: CallSessionDeps = {
      store,
      ledger,
      dial: trunkDial({
        telephony,
        trunkPassword: (t) => trunks.password(t),
        ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
        dns,
        log: log.child({ component: 'trunk' }),
      }),
      // Prompts speak with the account's TTS engine (speech.tts.accounts), else the default.
      prompts: accountPrompts(
        (accountName) =>
          new PromptBuilder({ store, networkFiles, tts: speechSynthesizer(speech, accountName), log }),
        (accountId) => store.accounts.findById(accountId)?.name,
      ),
      callbacks: new CallbackClient(),
      listeners: speechListeners(speech, clock),
      events,
      time: clock,
      log,
      recordingsDir,
      callbackSecret: (a) => tenancy.callbackSecret(a),
      callCenters: config.calls.callCenters,
      live: new Map(),
    };
    const defaultTrunk = new TtlCache<string, TrunkRecord | undefined>(2000, 10);
    // One policy gate for single calls and campaign calls (calls/policy).
    const gate = new PolicyGate({
      store,
      clock: options.policyClock ?? clock,
      log: log.child({ component: 'policy' }),
    });
    gate.start();
    const callIds = new CallIdGenerator(config.nodeId);
    let campaigns: CampaignRunner | undefined;
    const heldNoted = new Set<string>();
    const dialer = new Dialer({
      store,
      ledger,
      placer: { place: (call, trunk) => CallSession.run(sessionDeps, call, trunk) },
      trunkFor: () => defaultTrunk.get('default', () => store.trunks.findDefault(), clock.now()),
      time: clock,
      log: log.child({ component: 'dialer' }),
      hold: (call) => {
        const campaignId = (JSON.parse(call.request) as SmartCallRequest).campaignId;
        const layer = campaignId === undefined ? undefined : campaigns?.policyOf(campaignId);
        const hold = gate.holdUntil(call.accountId, call.calledNumber, layer);
        if (hold && !heldNoted.has(call.callId)) {
          heldNoted.add(call.callId);
          store.policies.addDecision({
            callId: call.callId,
            at: gate.now(),
            decision: 'wait',
            detail: hold.reason,
          });
          log.info({ callId: call.callId, why: hold.reason }, 'call waits for its calling window');
        } else if (!hold) heldNoted.delete(call.callId);
        return hold;
      },
      onSettled: (callId) => {
        heldNoted.delete(callId);
        const call = store.calls.find(callId);
        if (call) gate.afterCall(call);
        campaigns?.callEnded(callId);
      },
    });
    campaigns = new CampaignRunner({
      store,
      gate,
      callIds,
      buildRequest: smartCallRequestBuilder(
        { store, callIds, writer: new CallWriter(store), outIdMaxBytes: config.api.outIdMaxBytes },
        gate,
      ),
      enqueue: (callId) => dialer.enqueue(callId),
      timers: clock,
      log: log.child({ component: 'campaigns' }),
    });
    shutdown.add('campaigns', () => campaigns?.stop());
    // Calls to numbers marked inbound (spec §4.7); stopped after the telephony hung them up.
    const inbound = new InboundCalls({
      telephony,
      store,
      session: {
        ...sessionDeps,
        store,
        callIds,
        defaultTrunk: () => defaultTrunk.get('default', () => store.trunks.findDefault(), clock.now()),
      },
      log: log.child({ component: 'inbound' }),
    });
    shutdown.add('inbound calls', () => inbound.stop());
    // Stopping the dialer waits for the calls in flight; the telephony (closed after) hangs them up.
    shutdown.add('dialer', async () => {
      const settled = dialer.stop();
      await telephony.close();
      await settled;
    });

    let monitor: TrunkMonitor | undefined;
    if (config.calls.trunkKeepAlive) {
      const pinging = new TrunkMonitor(telephony.ua, store.trunks.list(), log, dns, systemClock);
      monitor = pinging;
      shutdown.add('trunk monitor', () => pinging.stop());
    }
    // Added after the dialer, so it stops before the telephony closes: the Expires: 0 still leave.
    registrar = new TrunkRegistrar({
      ua: telephony.ua,
      store,
      password: (t) => trunks.password(t),
      clock: systemClock,
      log: log.child({ component: 'registrar' }),
      dns,
    });
    registrar.start(store.trunks.list());
    shutdown.add('trunk registrations', () => registrar.stop());

    // Redis, when configured, shares nonces and QPS between API nodes (docs/scale-out.md).
    const redis = await connectRedis(config, log, shutdown);
    const gateway = new RpcGateway({
      options: config.api,
      ...(redis && {
        shared: {
          admission: (local, now) =>
            new SharedAdmission({ redis: redis, local, nonceTtlSeconds: config.api.nonceTtlSeconds, now }),
        },
      }),
      credentials: new CredentialResolver(store, box),
      actions: buildActions(
        store,
        config,
        config.calls.dialer ? (callId) => dialer.enqueue(callId) : undefined,
        {
          parallelBridge: (callId) => sessionDeps.live.get(callId)?.operateParallelBridge() ?? false,
        },
        config.calls.dialer
          ? new CallCancellation({ store, ledger, live: sessionDeps.live, clock, log })
          : undefined,
        callIds,
        gate,
      ),
      log,
    });
    if (redis) {
      // This node's card and the calls it carries, for the other nodes and `smartcall admin nodes`.
      const heartbeat = new NodeHeartbeat({
        redis,
        registry: new NodeRegistry(redis),
        owners: new CallOwners(redis),
        card: () => {
          const sip = telephony.ua.localEndpoint('udp');
          return {
            nodeId: callIds.nodeId,
            role: 'all',
            sipAddress: sip ? `${sip.address}:${sip.port}` : '',
            // Each call holds an RTP port pair.
            capacity: Math.floor((config.rtp.portMax - config.rtp.portMin + 1) / 2),
            calls: sessionDeps.live.size,
          };
        },
        liveCalls: () => sessionDeps.live.keys(),
        clock: systemClock,
      });
      heartbeat.start();
      shutdown.add('node heartbeat', () => heartbeat.stop());
    }
    registerLoadMetrics(metrics, {
      callMetrics,
      dialer,
      telephony,
      speech,
      pusher,
      trunks: () => store.trunks.list(),
    });
    const transcripts = new CallTranscripts(events);
    const token = consoleToken(config.dataDir);
    const api = createApiServer({
      gateway,
      recordings: { store, links },
      routes: (app) => {
        registerMetricsRoute(app, metrics, { token: config.metrics.token, host: config.http.host });
        registerConsoleRoutes(app, { token, transcripts });
        registerWebConsole(app, {
          store,
          clock: systemClock,
          transcripts,
          eventLog,
          log: log.child({ component: 'console' }),
          playground: {
            network: phonenet && {
              personaSummaries: () => phonenet.carrier.personaSummaries(),
              personasFiles: config.phonenet.personasFiles,
            },
            placeSmartCall: config.calls.dialer
              ? smartCallPlacer({
                  store,
                  callIds,
                  writer: new CallWriter(store),
                  outIdMaxBytes: config.api.outIdMaxBytes,
                  onAccepted: (callId) => dialer.enqueue(callId),
                })
              : undefined,
            demoBotUrl:
              config.mode === 'embedded' ? () => `http://127.0.0.1:${httpPort}${DEMO_BOT_PATH}` : undefined,
          },
          // Once uploaded, the console's player and waveform reach the recording in the bucket.
          ...(objects &&
            objectStorage && {
              storedRecording: (call) =>
                call.recordPath
                  ? objects.presignGet(recordingKey(objectStorage.prefix, call.recordPath), 3600)
                  : undefined,
            }),
          resources: {
            tenancy,
            trunks,
            dataDir: config.dataDir,
            trunkHealth: (name) => monitor?.health(name),
          },
        });
        if (config.mode === 'embedded') registerDemoBot(app);
      },
    });
    await api.listen({ host: config.http.host, port: config.http.port });
    shutdown.add('api', () => api.close());
    httpPort = (api.server.address() as AddressInfo).port;
    if (config.mode === 'embedded') pointDemoAtBot(tenancy, httpPort);
    // Orphans of a crash are finalised once the recording links know this server's address, and
    // before the dialer picks up calls (so no new call is mistaken for an orphan).
    if (config.calls.dialer) {
      reapOrphanedCalls(store, ledger, log, { clock });
      // From then on, calls no live session owns (their final write failed) are finalised too.
      const reaper = new OrphanReaper({
        store,
        ledger,
        log,
        clock,
        isLive: (callId) => sessionDeps.live.has(callId),
        intervalMs: ORPHAN_SWEEP_MS,
      });
      reaper.start();
      shutdown.add('orphan reaper', () => reaper.stop());
      dialer.start();
      campaigns.start();
    }
    // After the reaper: recordings of calls it just finalised are uploaded (and reported) too.
    await uploads?.start();
    log.info(
      {
        host: config.http.host,
        port: httpPort,
        sip: telephony.ua.localEndpoint('udp'),
        ...(config.sip.tls.port !== undefined && { sipTls: telephony.ua.localEndpoint('tls')?.port }),
        dataDir: config.dataDir,
        mode: config.mode,
        ...(redis && { redis: redis.up ? 'connected' : 'unreachable' }),
        mediaWorkers: telephony.mediaWorkers?.size ?? 0,
        phonenet: phonenet ? `${config.phonenet.address}:${config.phonenet.sipPort}` : undefined,
      },
      'smartcall started',
    );
    return {
      store,
      httpPort,
      demo,
      consoleLogin,
      events,
      telephony,
      phonenet,
      metrics,
      gate,
      campaigns,
      async drain(timeoutMs) {
        telephony.ua.refuseNewCalls(Math.max(1, Math.ceil(timeoutMs / 1000)));
        campaigns?.stop();
        const ended = Promise.all([dialer.stop(), inbound.stop()]);
        const calls = sessionDeps.live.size;
        log.info(
          { calls, timeoutSeconds: timeoutMs / 1000 },
          'draining: no new calls; the calls in progress may end by themselves',
        );
        return awaitDrain(ended, sessionDeps.live, timeoutMs, log);
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

/** Embedded mode: the virtual phone network is the default trunk unless the operator chose one. */
function ensurePhonenetTrunk(trunks: TrunkAdmin, address: string, port: number): void {
  const existing = trunks.list();
  const host = uriHost(address);
  const uri = `sip:${host}:${port}`;
  // Personas call in from the phonenet's own address (`smartcall phonenet dial`): the door lets
  // that address in, as it would a carrier's range.
  const own = (a: string) => `${a}/${isIP(a) === 6 ? 128 : 32}`;
  const phonenet = existing.find((t) => t.name === PHONENET_TRUNK);
  if (!phonenet) {
    trunks.add({
      name: PHONENET_TRUNK,
      uri,
      cps: 50,
      maxCalls: 200,
      inboundFrom: [own(address)],
      isDefault: !existing.some((t) => t.isDefault),
    });
  } else if (
    phonenet.port !== port ||
    phonenet.host !== address ||
    !phonenet.inboundFrom?.includes(own(address))
  ) {
    const others = (phonenet.inboundFrom ?? []).filter((c) => c !== own(phonenet.host));
    trunks.add({
      name: PHONENET_TRUNK,
      uri,
      cps: phonenet.cps,
      maxCalls: phonenet.maxCalls,
      inboundFrom: [...others, own(address)],
      codecs: phonenet.codecs.join(','),
      isDefault: phonenet.isDefault,
    });
  }
}

/** The demo account talks to the demo bot (on this start's port) until its owner points it elsewhere. */
function pointDemoAtBot(tenancy: TenancyAdmin, httpPort: number): void {
  let account: ReturnType<TenancyAdmin['account']>;
  try {
    account = tenancy.account(DEMO_ACCOUNT);
  } catch {
    return;
  }
  const url = account.callback.url;
  if (url === null || url.endsWith(DEMO_BOT_PATH)) {
    tenancy.setCallback(DEMO_ACCOUNT, { url: `http://127.0.0.1:${httpPort}${DEMO_BOT_PATH}` });
  }
}

/** `sip.tls.*` files, read once at start: a missing file or one without PEM stops the start, naming the setting. */
function sipTlsSettings(tls: Config['sip']['tls']): TlsSettings {
  const read = (setting: string, path: string | undefined, kind: string) => {
    if (path === undefined) return undefined;
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`sip.tls.${setting} ${path}: ${(err as Error).message}`);
    }
    if (!pem.includes('-----BEGIN ') || !pem.includes(kind))
      throw new Error(`sip.tls.${setting} ${path}: no PEM ${kind.toLowerCase()} in it`);
    return pem;
  };
  const ca = read('caFile', tls.caFile, 'CERTIFICATE');
  const cert = read('certFile', tls.certFile, 'CERTIFICATE');
  const key = read('keyFile', tls.keyFile, 'PRIVATE KEY');
  const clientCert = read('clientCertFile', tls.clientCertFile, 'CERTIFICATE');
  const clientKey = read('clientKeyFile', tls.clientKeyFile, 'PRIVATE KEY');
  return {
    ...(tls.port !== undefined && { port: tls.port }),
    ...(cert !== undefined &&
      key !== undefined && {
        server: {
          cert,
          key,
          ...(ca !== undefined && { ca }),
          requireClientCert: tls.requireClientCert,
        },
      }),
    client: {
      ...(ca !== undefined && { ca }),
      ...(clientCert !== undefined && clientKey !== undefined && { cert: clientCert, key: clientKey }),
    },
  };
}
