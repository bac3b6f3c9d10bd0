/**
 * `smartcall call --to <number>`: places a SmartCall the way a business does — with Alibaba's own
 * client library, signed with an AccessKey — and prints the conversation as it happens, from the
 * console's live transcript: ringing, answer, what the bot said, what the callee said, each
 * callback and action, the hang-up, and the call record from QueryCallDetailByCallId.
 */

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../clock/clock.js';
import { consoleToken } from '../console/consoleToken.js';
import { DEMO_OPENING } from '../demo/demoBot.js';
import { DEMO_ACCOUNT } from '../tenancy/demoAccount.js';
import { configFrom, type GlobalOptions, withAdmin } from './context.js';
import { SmartcallClient } from './smartcallClient.js';

interface CallOptions extends GlobalOptions {
  to: string;
  text?: string;
  voiceCode?: string;
  param?: string;
  from?: string;
  endpoint?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  account: string;
  record?: boolean;
  timeout: string;
}

interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  displayNumber: string | undefined;
}

/**
 * Credentials from the flags or ALIBABA_CLOUD_* variables; otherwise a key of the local account kept
 * in `<dataDir>/cli-key.json` (mode 0600), made the first time.
 */
function credentials(o: CallOptions, dataDir: string): Credentials {
  const id = o.accessKeyId ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = o.accessKeySecret ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (id && secret) return { accessKeyId: id, accessKeySecret: secret, displayNumber: o.from };
  return withAdmin(o, (admin, store) => {
    const account = admin.account(o.account);
    const file = join(dataDir, 'cli-key.json');
    let saved: { account: string; accessKeyId: string; accessKeySecret: string } | undefined;
    if (existsSync(file)) {
      try {
        saved = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        saved = undefined;
      }
    }
    const key = store.accessKeys.find(saved?.accessKeyId ?? '');
    if (!saved || saved.account !== account.name || key?.status !== 'active') {
      const made = admin.createKey(account.name);
      saved = { account: account.name, accessKeyId: made.accessKeyId, accessKeySecret: made.accessKeySecret };
      writeFileSync(file, JSON.stringify(saved) + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    return {
      accessKeyId: saved.accessKeyId,
      accessKeySecret: saved.accessKeySecret,
      displayNumber: o.from ?? admin.listNumbers(account.name)[0]?.number,
    };
  });
}

type Printer = (line: string) => void;

/** Reads the console's server-sent events until the call ends; prints a line for each. */
async function follow(
  endpoint: string,
  token: string,
  callId: string,
  started: number,
  print: Printer,
  timeoutMs: number,
) {
  const res = await fetch(`http://${endpoint}/console/calls/${encodeURIComponent(callId)}/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok || !res.body) throw new Error(`cannot follow the call: HTTP ${res.status}`);
  const stamp = (at: number) => `${((at - started) / 1000).toFixed(2).padStart(7)}s`;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const type = /^event: (.+)$/m.exec(block)?.[1];
      const data = JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? '{}');
      switch (type) {
        case 'state':
          print(
            `${stamp(data.at)}  ${data.state === 'answered' ? 'answered' : data.state === 'early_media' ? 'early media (183)' : data.state}`,
          );
          break;
        case 'said':
          print(`${stamp(data.at)}  bot:     ${data.texts.join(' ')}`);
          break;
        case 'heard':
          print(
            `${stamp(data.at)}  callee:  ${data.words ?? '(not recognised)'}${data.earlyMedia ? '  [early media]' : ''}`,
          );
          break;
        case 'dtmf':
          print(`${stamp(data.at)}  callee pressed ${data.digit}`);
          break;
        case 'callback':
          print(
            `${stamp(data.at)}  callback ${data.contentType} → ${data.action}` +
              (data.source === 'reply' ? '' : ` (${data.source}: ${data.outcome})`) +
              `  [${data.latencyMs} ms]`,
          );
          break;
        case 'interrupted':
          print(`${stamp(data.at)}  (playback stopped)`);
          break;
        case 'ended': {
          const r = data.record;
          const talk =
            r.answerAt && r.endAt ? ` after ${((r.endAt - r.answerAt) / 1000).toFixed(1)} s of talk` : '';
          print(
            `${stamp(r.endAt ?? systemClock.now())}  ended: ${r.statusCode} ${r.smartStatusCode} ${r.statusMsg ?? ''}` +
              `${r.hangupDirection ? `, hung up by ${r.hangupDirection}` : ''}${talk}`,
          );
          return;
        }
      }
    }
  }
}

export function registerCallCommand(program: Command): void {
  program
    .command('call')
    .description('place a SmartCall with the Alibaba Cloud client library and follow the conversation')
    .requiredOption('--to <number>', 'the callee (e.g. a virtual phone network number: 13800000001)')
    .option('--text <text>', 'the opening prompt, spoken by TTS (default: the demo survey question)')
    .option('--voice-code <code>', 'VoiceCode instead of --text (voice file IDs, URLs, $variables$)')
    .option('--param <json>', 'VoiceCodeParam for --voice-code')
    .option('--from <number>', "CalledShowNumber (default: the account's first number)")
    .option('--account <name>', 'local account whose key to use when no key is given', DEMO_ACCOUNT)
    .option('--endpoint <host:port>', 'smartcall API (default: 127.0.0.1 and the configured HTTP port)')
    .option('--access-key-id <id>', 'AccessKeyId (or ALIBABA_CLOUD_ACCESS_KEY_ID)')
    .option('--access-key-secret <secret>', 'AccessKeySecret (or ALIBABA_CLOUD_ACCESS_KEY_SECRET)')
    .option('--record', 'record the call (RecordFlag)')
    .option('--timeout <seconds>', 'stop following after this long', '300')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as CallOptions;
      const config = configFrom(o);
      const endpoint = o.endpoint ?? `127.0.0.1:${config.http.port}`;
      const creds = credentials(o, config.dataDir);
      if (!creds.displayNumber)
        throw new Error(`account ${o.account} owns no display number: add one or pass --from`);
      const client = new SmartcallClient({
        endpoint,
        accessKeyId: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
      });
      const query: Record<string, string> = {
        CalledShowNumber: creds.displayNumber,
        CalledNumber: o.to,
        VoiceCode: o.voiceCode ?? '$text$',
        ...(o.voiceCode
          ? o.param !== undefined && { VoiceCodeParam: o.param }
          : { VoiceCodeParam: JSON.stringify({ text: o.text ?? DEMO_OPENING }) }),
        ...(o.record && { RecordFlag: 'true' }),
      };
      const started = Math.round(systemClock.now());
      const print: Printer = (line) => {
        if (!o.json) process.stdout.write(line + '\n');
      };
      const body = await client.call('SmartCall', query);
      if (body.Code !== 'OK') throw new Error(`SmartCall refused: ${body.Code}: ${body.Message}`);
      const callId = String(body.CallId);
      print(`   0.00s  SmartCall accepted: CallId ${callId} (to ${o.to}, from ${creds.displayNumber})`);
      await follow(endpoint, consoleToken(config.dataDir), callId, started, print, Number(o.timeout) * 1000);
      const detail = await client.call('QueryCallDetailByCallId', {
        CallId: callId,
        ProdId: '11030000180001',
        QueryDate: String(started),
      });
      const data = detail.Data ? JSON.parse(String(detail.Data)) : undefined;
      if (o.json) process.stdout.write(JSON.stringify({ callId, detail: data }, null, 2) + '\n');
      else print(`          QueryCallDetailByCallId: ${JSON.stringify(data)}`);
    });
}
