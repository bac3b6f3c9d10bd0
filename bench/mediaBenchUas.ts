/**
 * The far end of `npm run bench:media`, in its own process (its own core): a smartcall Telephony
 * that answers every call and plays audio into it, so media flows both ways (argv: RTP range, media
 * worker threads — 0 for in-thread). Prints
 * `{"sipPort":N}` once ready; SIGTERM stops it.
 */
import { PcmSource } from '../src/media/pcmSource.js';
import { silentLogger } from '../src/observability/logger.js';
import { InboundCall } from '../src/telephony/inboundCall.js';
import { Telephony } from '../src/telephony/telephony.js';

const TONE = new Int16Array(8000 * 120);
for (let i = 0; i < TONE.length; i++) TONE[i] = Math.round(6000 * Math.sin((2 * Math.PI * 700 * i) / 8000));

async function main(): Promise<void> {
  const [min, max] = (process.argv[2] ?? '34000-35999').split('-').map(Number);
  const mediaWorkers = Number(process.argv[3] ?? 0);
  const tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: min!,
    rtpPortMax: max!,
    mediaWorkers,
    logger: silentLogger(),
  });
  tel.ua.on('incoming', (sip) => {
    const call = new InboundCall(tel, sip);
    call.answer().then(
      (media) => media.play(new PcmSource(TONE)),
      () => {},
    );
  });
  process.stdout.write(JSON.stringify({ sipPort: tel.ua.localEndpoint('udp')!.port }) + '\n');
  process.on('SIGTERM', () => {
    tel.close().then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
