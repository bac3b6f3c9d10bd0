/**
 * The machine's raw loopback UDP ceiling for `npm run bench:media`: one process sends 172-byte
 * datagrams (an RTP packet of 20 ms G.711) as fast as it can, another counts what arrives. Run as
 * `node udpCeiling.js receive` (prints its port, then its count on SIGTERM) or imported for the
 * sending side.
 */
import { createSocket } from 'node:dgram';

export function receive(): void {
  const socket = createSocket('udp4');
  let count = 0;
  socket.on('message', () => {
    count++;
  });
  socket.bind(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: socket.address().port }) + '\n');
  });
  process.on('SIGTERM', () => {
    process.stdout.write(JSON.stringify({ received: count }) + '\n');
    socket.close();
    process.exit(0);
  });
}

/** Sends as fast as the event loop allows for `ms`; resolves with the number sent. */
export function blast(port: number, ms: number): Promise<number> {
  const socket = createSocket('udp4');
  const packet = Buffer.alloc(172, 0xff);
  packet[0] = 0x80;
  let sent = 0;
  let inFlight = 0;
  const until = Date.now() + ms;
  const onSent = () => {
    inFlight--;
    sent++;
  };
  return new Promise((resolve) => {
    const pump = () => {
      if (Date.now() >= until) {
        const finish = () => (inFlight === 0 ? socket.close(() => resolve(sent)) : setTimeout(finish, 5));
        finish();
        return;
      }
      // a bounded number of sends in flight: the loop neither idles nor buffers without bound
      while (inFlight < 256) {
        inFlight++;
        socket.send(packet, onSent);
      }
      setImmediate(pump);
    };
    // a connected socket skips the per-send address handling: the cheapest send Node has
    socket.connect(port, '127.0.0.1', pump);
  });
}

if (process.argv[2] === 'receive') receive();
