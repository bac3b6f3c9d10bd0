// Start and stop real SIP peers (sipp, kamailio, baresip) on 127.0.0.1 for interop tests.
// Only loopback, only IP literals; every child is stopped by its own PID (SIGTERM, then SIGKILL after
// a grace period) and every temporary directory is removed by `stop()`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** test/fixtures/<sub> from the compiled helper (dist/test/helpers/*.js → repository root). */
export function fixture(sub: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/${sub}`, import.meta.url));
}

function hexAddress(ip: string, port: number): string {
  const hexIp = ip
    .split('.')
    .map(Number)
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  return `${hexIp}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** True once a UDP socket is bound to ip:port (reads /proc/net/udp; sends nothing). */
export function udpBound(port: number, ip = '127.0.0.1'): boolean {
  const want = hexAddress(ip, port);
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((l) => l.trim().split(/\s+/)[1] === want);
}

/** True once a TCP socket listens on ip:port (state 0A in /proc/net/tcp). */
export function tcpListening(port: number, ip = '127.0.0.1'): boolean {
  const want = hexAddress(ip, port);
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1] === want && f[3] === '0A';
    });
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${what}`);
    await sleep(10);
  }
}

export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/** Resolves with the exit code (null when killed by a signal), or rejects after `timeoutMs`. */
export async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`peer still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const [code] = await Promise.race([exited, timeout]);
    return code;
  } finally {
    clearTimeout(timer);
  }
}

export interface Peer {
  child: ChildProcess;
  dir: string;
  output(): string;
  /** Exit code once it exits by itself (sipp with -m 1 exits 0 when the scenario passed). */
  exitCode(timeoutMs?: number): Promise<number | null>;
  stop(): Promise<void>;
}

function track(child: ChildProcess): () => string {
  let out = '';
  const add = (d: Buffer) => {
    if (out.length < 200_000) out += d.toString();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

/** Linear PCM sample → G.711 µ-law byte (ITU-T G.711). */
function ulaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** A µ-law WAV (format 7, 8 kHz mono) with a 440 Hz tone, as sipp's rtp_stream wants. */
export function writeUlawWav(path: string, seconds: number): void {
  const n = Math.round(seconds * 8000);
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = ulaw(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + n, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(7, 20); // WAVE_FORMAT_MULAW
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(n, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

/** A 16-bit PCM WAV (8 kHz mono) with a 440 Hz tone, as baresip's aufile source wants. */
export function writePcmWav(path: string, seconds: number): void {
  const n = Math.round(seconds * 8000);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++)
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

/** A temporary working directory for sipp with the WAV files the scenarios name. */
export function makeSippDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  writeUlawWav(join(dir, 'announcement_ulaw.wav'), 1);
  writeUlawWav(join(dir, 'callee_prompt_ulaw.wav'), 1);
  writeUlawWav(join(dir, 'platform_prompt_ulaw.wav'), 1);
  return dir;
}

export interface SippOptions {
  /** Scenario file name under test/fixtures/sipp/. */
  scenario: string;
  port: number;
  /** sipp control port (-cp): give every instance its own (the default 8888 collides). */
  controlPort: number;
  /** RTP port (-mp); sipp also binds mp+2. */
  mediaPort: number;
  transport?: 'udp' | 'tcp';
  /** -m: exit after this many calls (then `exitCode()` tells whether the scenario passed). */
  calls?: number;
  /** -d: the scenario's <pause/> in ms. */
  pauseMs?: number;
  args?: string[];
  /** Files to put in sipp's working directory (e.g. a distinctive announcement_ulaw.wav). */
  files?: Record<string, Buffer>;
}

/** sipp as a UAS running one scenario; cwd is a fresh temporary directory holding the WAVs. */
export async function startSippUas(o: SippOptions): Promise<Peer> {
  const dir = makeSippDir();
  for (const [name, bytes] of Object.entries(o.files ?? {})) writeFileSync(join(dir, name), bytes);
  const args = [
    '-sf',
    fixture(`sipp/${o.scenario}`),
    '-i',
    '127.0.0.1',
    '-mi',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-cp',
    String(o.controlPort),
    '-mp',
    String(o.mediaPort),
    '-t',
    o.transport === 'tcp' ? 't1' : 'u1',
    '-nostdin',
    '-trace_err',
    ...(o.calls ? ['-m', String(o.calls)] : []),
    ...(o.pauseMs !== undefined ? ['-d', String(o.pauseMs)] : []),
    ...(o.args ?? []),
  ];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = track(child);
  const ready = () => (o.transport === 'tcp' ? tcpListening(o.port) : udpBound(o.port));
  try {
    await waitUntil(() => ready() || child.exitCode !== null, 5000, `sipp ${o.scenario}`);
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (child.exitCode !== null) {
    const errors = readdirSync(dir)
      .filter((f) => f.endsWith('_errors.log'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sipp exited with ${child.exitCode}: ${output()} ${errors}`);
  }
  return {
    child,
    dir,
    output: () => {
      const errors = readdirSync(dir)
        .filter((f) => f.endsWith('_errors.log'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
      return output() + errors;
    },
    exitCode: (timeoutMs = 10_000) => waitForExit(child, timeoutMs),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KamailioOptions {
  port: number;
  calleeUri: string;
  user: string;
  pass: string;
  realm?: string;
}

/** kamailio as an authenticating trunk (407 on INVITE, qop=auth) relaying to `calleeUri`. */
export async function startKamailioTrunk(o: KamailioOptions): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const cfg = readFileSync(fixture('kamailio/trunk.cfg'), 'utf8')
    .replace(/!TRUNK_PORT![^!]*!/, `!TRUNK_PORT!${o.port}!`)
    .replace(/!CALLEE_URI![^!]*!/, `!CALLEE_URI!${o.calleeUri}!`)
    .replace(/!AUTH_USER![^!]*!/, `!AUTH_USER!${o.user}!`)
    .replace(/!AUTH_PASS![^!]*!/, `!AUTH_PASS!${o.pass}!`)
    .replace(/!AUTH_REALM![^!]*!/, `!AUTH_REALM!${o.realm ?? 'trunk.test'}!`);
  writeFileSync(join(dir, 'trunk.cfg'), cfg);
  const child = spawn(
    'kamailio',
    ['-f', join(dir, 'trunk.cfg'), '-DD', '-E', '-Y', dir, '-m', '32', '-M', '8'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = track(child);
  try {
    await waitUntil(
      () => (udpBound(o.port) && tcpListening(o.port)) || child.exitCode !== null,
      10_000,
      'kamailio',
    );
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (child.exitCode !== null) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio exited: ${output()}`);
  }
  return {
    child,
    dir,
    output,
    exitCode: (timeoutMs = 10_000) => waitForExit(child, timeoutMs),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KamailioInboundOptions {
  port: number;
  /** Where every new INVITE is relayed (smartcall's SIP address). */
  smartcallUri: string;
  /** The number the Diversion header says was dialled first. */
  divertedFrom: string;
}

/** kamailio as a carrier delivering inbound calls: relays INVITEs to smartcall with a Diversion header. */
export async function startKamailioInbound(o: KamailioInboundOptions): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const cfg = readFileSync(fixture('kamailio/inbound.cfg'), 'utf8')
    .replace(/!CARRIER_PORT![^!]*!/, `!CARRIER_PORT!${o.port}!`)
    .replace(/!SMARTCALL_URI![^!]*!/, `!SMARTCALL_URI!${o.smartcallUri}!`)
    .replace(/!DIVERTED_FROM![^!]*!/, `!DIVERTED_FROM!${o.divertedFrom}!`);
  writeFileSync(join(dir, 'inbound.cfg'), cfg);
  const child = spawn(
    'kamailio',
    ['-f', join(dir, 'inbound.cfg'), '-DD', '-E', '-Y', dir, '-m', '32', '-M', '8'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = track(child);
  try {
    await waitUntil(
      () => (udpBound(o.port) && tcpListening(o.port)) || child.exitCode !== null,
      10_000,
      'kamailio',
    );
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (child.exitCode !== null) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio exited: ${output()}`);
  }
  return {
    child,
    dir,
    output,
    exitCode: (timeoutMs = 10_000) => waitForExit(child, timeoutMs),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KamailioRegistrarOptions {
  port: number;
  user: string;
  pass: string;
  /** Shorter Expires get 423 Interval Too Brief with this Min-Expires (default 1). */
  minExpires?: number;
}

/** kamailio as a registrar (401 on REGISTER, qop=auth; 423 below minExpires) routing to its bindings. */
export async function startKamailioRegistrar(o: KamailioRegistrarOptions): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-reg-'));
  const cfg = readFileSync(fixture('kamailio/registrar.cfg'), 'utf8')
    .replace(/!REG_PORT![^!]*!/, `!REG_PORT!${o.port}!`)
    .replace(/!AUTH_USER![^!]*!/, `!AUTH_USER!${o.user}!`)
    .replace(/!AUTH_PASS![^!]*!/, `!AUTH_PASS!${o.pass}!`)
    .replace(/!MIN_EXPIRES![^!]*!/, `!MIN_EXPIRES!${o.minExpires ?? 1}!`);
  writeFileSync(join(dir, 'registrar.cfg'), cfg);
  const child = spawn(
    'kamailio',
    ['-f', join(dir, 'registrar.cfg'), '-DD', '-E', '-Y', dir, '-m', '32', '-M', '8'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = track(child);
  try {
    await waitUntil(
      () => (udpBound(o.port) && tcpListening(o.port)) || child.exitCode !== null,
      10_000,
      'kamailio registrar',
    );
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (child.exitCode !== null) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio exited: ${output()}`);
  }
  return {
    child,
    dir,
    output,
    exitCode: (timeoutMs = 10_000) => waitForExit(child, timeoutMs),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KamailioTlsOptions {
  /** TLS port smartcall dials and registers at. */
  tlsPort: number;
  /** UDP port whose requests go on to `smartcallUri` (over TLS). */
  udpPort: number;
  /** Where INVITEs arriving over TLS go (a UDP callee). */
  calleeUri: string;
  /** smartcall's TLS listener, e.g. `sip:127.0.0.1:5071;transport=tls`. */
  smartcallUri: string;
  /** PEM files: the proxy's certificate and key, and the CA it checks smartcall's listener with. */
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** kamailio (tls.so) as a TLS proxy and registrar: see test/fixtures/kamailio/tlsProxy.cfg. */
export async function startKamailioTls(o: KamailioTlsOptions): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-tls-'));
  const domains = join(dir, 'tls-domains.cfg');
  writeFileSync(
    domains,
    [
      '[server:default]',
      'method = TLSv1.2+',
      'verify_certificate = no',
      'require_certificate = no',
      `private_key = ${o.keyFile}`,
      `certificate = ${o.certFile}`,
      `ca_list = ${o.caFile}`,
      '',
      '[client:default]',
      'method = TLSv1.2+',
      'verify_certificate = yes',
      'require_certificate = yes',
      `ca_list = ${o.caFile}`,
      '',
    ].join('\n'),
  );
  const cfg = readFileSync(fixture('kamailio/tlsProxy.cfg'), 'utf8')
    .replace(/!TLS_PORT![^!]*!/, `!TLS_PORT!${o.tlsPort}!`)
    .replace(/!UDP_PORT![^!]*!/, `!UDP_PORT!${o.udpPort}!`)
    .replace(/!CALLEE_URI![^!]*!/, `!CALLEE_URI!${o.calleeUri}!`)
    .replace(/!SMARTCALL_URI![^!]*!/, `!SMARTCALL_URI!${o.smartcallUri}!`)
    .replace(/!TLS_DOMAINS![^!]*!/, `!TLS_DOMAINS!${domains}!`);
  writeFileSync(join(dir, 'tlsProxy.cfg'), cfg);
  const child = spawn(
    'kamailio',
    ['-f', join(dir, 'tlsProxy.cfg'), '-DD', '-E', '-Y', dir, '-m', '32', '-M', '8'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = track(child);
  try {
    await waitUntil(
      () => (udpBound(o.udpPort) && tcpListening(o.tlsPort)) || child.exitCode !== null,
      10_000,
      'kamailio tls proxy',
    );
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (child.exitCode !== null) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio exited: ${output()}`);
  }
  return {
    child,
    dir,
    output,
    exitCode: (timeoutMs = 10_000) => waitForExit(child, timeoutMs),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BaresipOptions {
  port: number;
  /** Request-URI users it answers (others get 404). */
  users?: string[];
  /** Absolute path of an 8 kHz mono 16-bit PCM WAV it plays after answering (default: a 10 s tone). */
  promptWav?: string;
  /** e.g. '21000-21099' */
  rtpPorts: string;
  /** ctrl_tcp JSON events/commands port (omit to disable). */
  ctrlPort?: number;
  /** Address to listen on (default 127.0.0.1; a namespace's own address with `netns`). */
  address?: string;
  /** Run inside this network namespace (`ip netns exec`; the PID is still baresip's). */
  netns?: string;
  /** Media encryption the account demands (`srtp`, `srtp-mand`, …): loads baresip's srtp module. */
  mediaenc?: string;
  /** The account's audio_codecs (default `PCMU/8000/1,PCMA/8000/1`); one naming G722 loads g722.so. */
  audioCodecs?: string;
}

/** baresip callee: auto-answers, plays promptWav, records what it hears under <dir>/rec. */
export async function startBaresipCallee(o: BaresipOptions): Promise<Peer & { recordings(): string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  let prompt = o.promptWav;
  if (!prompt) {
    prompt = join(dir, 'prompt.wav');
    writePcmWav(prompt, 10);
  }
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen ${o.address ?? '127.0.0.1'}:${o.port}`,
      `net_interface ${o.address ?? '127.0.0.1'}`,
      'dns_server 127.0.0.1:53',
      'call_local_timeout 120',
      'call_max_calls 4',
      `audio_source aufile,${prompt}`,
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `rtp_ports ${o.rtpPorts}`,
      'rtcp_mux no',
      'jitter_buffer_delay 5-10',
      'statmode_default off',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module sndfile.so',
      'module aufile.so',
      'module alsa.so',
      ...(o.mediaenc ? ['module srtp.so'] : []),
      ...(o.audioCodecs?.includes('G722') ? ['module g722.so'] : []),
      'module_tmp account.so',
      'module_app menu.so',
      ...(o.ctrlPort ? ['module_app ctrl_tcp.so', `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`] : []),
      `snd_path ${rec}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'accounts'),
    (o.users ?? ['callee'])
      .map(
        (u) =>
          `<sip:${u}@${o.address ?? '127.0.0.1'}:${o.port}>;regint=0;answermode=auto;audio_codecs=${o.audioCodecs ?? 'PCMU/8000/1,PCMA/8000/1'}${o.mediaenc ? `;mediaenc=${o.mediaenc}` : ''}\n`,
      )
      .join(''),
  );
  const command = ['baresip', '-f', dir, '-4'];
  const [file, ...args] = o.netns ? ['ip', 'netns', 'exec', o.netns, ...command] : command;
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = track(child);
  try {
    await waitUntil(() => output().includes('baresip is ready.') || child.exitCode !== null, 5000, 'baresip');
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (child.exitCode !== null) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`baresip exited: ${output()}`);
  }
  return {
    child,
    dir,
    output,
    exitCode: (timeoutMs = 10_000) => waitForExit(child, timeoutMs),
    recordings: () =>
      readdirSync(rec)
        .filter((f) => f.endsWith('.wav'))
        .sort()
        .map((f) => join(rec, f)),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
