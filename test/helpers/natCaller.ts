/**
 * A smartcall telephony endpoint for the NAT interop test, run as its own process inside a network
 * namespace (`ip netns exec <ns> node dist/test/helpers/natCaller.js <target> <ms>`). It reads the
 * real configuration (SMARTCALL_CONFIG and SMARTCALL_* variables, as `smartcall serve` does), binds
 * as configured, calls `<target>`, plays the test chirp once answered, listens for `<ms>` and hangs
 * up, then prints one JSON line: what it advertised, whether it was answered, how well it heard the
 * callee's chirp and its RTP counters.
 */
import { loadConfig, networkAddresses } from '../../src/config.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { silentLogger } from '../../src/observability/logger.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { chirp, FrameCollector, findInRecording } from './audio.js';

export const NAT_OURS = chirp(3, 300, 1500, 3);
export const NAT_THEIRS = chirp(3, 1800, 500, 5);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const [target = '', msText = '4000'] = process.argv.slice(2);
  const config = loadConfig({}, process.env);
  const tel = await Telephony.create({
    ...networkAddresses(config),
    sipUdpPort: config.sip.udpPort,
    sipTcpPort: false,
    rtpPortMin: config.rtp.portMin,
    rtpPortMax: config.rtp.portMax,
    timers: { t1: 200 },
    logger: silentLogger(),
  });
  const report: Record<string, unknown> = {};
  try {
    const calleeIp = /@([\d.]+)/.exec(target)?.[1] ?? '';
    const call = await OutboundCall.place(tel, { target, setupTimeoutMs: 8000 });
    report.sipAddress = tel.ua.localEndpoint('udp', calleeIp)?.address;
    report.mediaAddress = await tel.mediaAddressToward(calleeIp);
    const heard = new FrameCollector();
    call.media.on('frame', heard.add);
    call.media.on('latched', (e) => {
      report.latched = `${e.address}:${e.port}`;
    });
    const outcome = await new Promise<string>((resolve) => {
      call.once('answered', () => resolve('answered'));
      call.once('failed', (cause) => resolve(`failed ${cause.status} ${cause.reason}`));
    });
    report.outcome = outcome;
    if (outcome === 'answered') {
      call.media.play(new PcmSource(NAT_OURS, 8000), { id: 'ours' });
      await sleep(Number(msText));
      call.hangup();
      await new Promise((resolve) => call.once('ended', resolve));
      report.heard = findInRecording(NAT_THEIRS, heard.samples());
    }
    report.rtp = call.media.stats.rtp;
  } catch (err) {
    report.error = String(err);
  } finally {
    await tel.close();
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (process.argv[1]?.endsWith('natCaller.js')) void main();
